import LedgerCrypto
import Testing

@Suite("HMAC-SHA-256")
struct HMACTests {
    // Reference tags from Python's hmac module, around the 64-byte block size (shorter keys
    // are padded, longer ones hashed first), with key byte i = (7i + 3) mod 256.
    @Test("known answers for keys of 0 to 131 bytes", arguments: [
        (0, "9cc6d07cf564ca291ed84f510ddbda709bf1c9ab7600cc7a80ab1cfe6b2563b9"),
        (1, "379824089bb078aef863ea5e0aa206f5f8fc6bb9d6c35c99c518d428f7de2103"),
        (32, "301859844adc19f571a58aa86712f8a8516231e080ae043ccabddf3ccf2d10f7"),
        (63, "c5a3c9adf2d2902e40e95a6e2ce9a61017969e8906d1bb7a1181b15652e889f3"),
        (64, "bd1c23952df153f285a7e38b05f7d5cb9f8e2ad5f8bd841ed64f733a53a4fd9e"),
        (65, "f1d2f59666ed9a631f5938fc94c60364dda97b1a840b0362694d996b03232167"),
        (131, "89767f89401ac68915dfcfac176fa5b90a03b3cde671bde9935cfe457079b90f"),
    ])
    func hmacKeyLengths(length: Int, hex: String) {
        let key = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) }
        let mac = HMACSHA256(unsafeShortKey: key)
        #expect(mac.authenticate(bytes: Array("authledger HMAC key lengths".utf8)) == [UInt8](hex: hex))
    }

    @Test("an empty message")
    func hmacEmptyMessage() throws {
        let mac = try HMACSHA256(key: Array(0..<32))
        #expect(mac.authenticate(bytes: [UInt8]()) == [UInt8](hex: "d38b42096d80f45f826b44a9d5607de72496a415d3f4a1a8c88e3bb9da8dc1cb"))
    }
}
