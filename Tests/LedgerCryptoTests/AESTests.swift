import LedgerCrypto
import Testing

@Suite("AES-256")
struct AESTests {
    // NIST SP 800-38A, F.5.5 (CTR-AES256.Encrypt), first two blocks.
    @Test("CTR: the NIST SP 800-38A known answer")
    func ctrKnownAnswer() throws {
        let aes = try AES256CTR(key: [UInt8](hex: "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")!)
        let iv = [UInt8](hex: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")!
        let plaintext = [UInt8](hex: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")!
        let expected = [UInt8](hex: "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5")!
        #expect(try aes.apply(iv: iv, to: plaintext) == expected)
        #expect(try aes.apply(iv: iv, to: expected) == plaintext)
    }

    @Test("CTR: an offset continues the same key stream, so fields split one stream")
    func ctrOffset() throws {
        let aes = try AES256CTR(key: Array(0..<32))
        let iv = [UInt8](repeating: 7, count: 16)
        let whole = try aes.apply(iv: iv, to: Array("label|user agent|ip".utf8))
        let first = try aes.apply(iv: iv, to: Array("label|".utf8))
        let rest = try aes.apply(iv: iv, offset: 6, to: Array("user agent|ip".utf8))
        #expect(first + rest == whole)
        #expect(whole.count == 19)
    }

    @Test("CTR: any offset is the same slice of one key stream, across block boundaries and a counter that wraps",
          arguments: [0, 1, 15, 16, 17, 40, 100])
    func ctrOffsets(offset: Int) throws {
        let aes = try AES256CTR(key: Array(0..<32))
        let message = (0..<160).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        for iv in [[UInt8](repeating: 7, count: 16), [UInt8](repeating: 0xff, count: 16), [UInt8](repeating: 0, count: 8) + [UInt8](repeating: 0xff, count: 8)] {
            let whole = try aes.apply(iv: iv, to: message)
            let slice = try aes.apply(iv: iv, offset: offset, to: Array(message[offset...]))
            #expect(slice == Array(whole[offset...]), "offset \(offset), IV \(iv.hexString)")
        }
    }

    @Test("CTR: a key of the wrong length is refused")
    func ctrKeyLength() {
        #expect(throws: CryptoError.self) { try AES256CTR(key: Array(0..<16)) }
    }

    @Test("CTR: an IV of any length but 16, or a negative offset, is an error, not a trap", arguments: [0, 12, 15, 17, 32])
    func ctrIVLength(length: Int) throws {
        let aes = try AES256CTR(key: Array(0..<32))
        #expect(throws: CryptoError(.invalidArgument, "an AES-256-CTR IV is 16 bytes; got \(length)")) {
            try aes.apply(iv: [UInt8](repeating: 1, count: length), to: [1, 2, 3])
        }
        #expect(throws: CryptoError(.invalidArgument, "a key-stream offset cannot be negative; got -1")) {
            try aes.apply(iv: [UInt8](repeating: 1, count: 16), offset: -1, to: [1, 2, 3])
        }
    }

    // NIST GCM test cases 13 and 14 (256-bit zero key, 96-bit zero IV).
    @Test("GCM: NIST known answers open")
    func gcmKnownAnswers() throws {
        let gcm = try AES256GCM(key: [UInt8](repeating: 0, count: 32))
        let zeroNonce = [UInt8](repeating: 0, count: 12)
        #expect(try gcm.open(zeroNonce + [UInt8](hex: "530f8afbc74536b9a963b4f1c4cb738b")!) == [])
        let box = zeroNonce + [UInt8](hex: "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")!
        #expect(try gcm.open(box) == [UInt8](repeating: 0, count: 16))
    }

    @Test("GCM: round trip; a changed byte, another key or other associated data is refused")
    func gcmRoundTrip() throws {
        let key = AES256GCM.self
        let gcm = try key.init(key: Array(0..<32))
        let secret = Array(100..<132).map(UInt8.init)
        let box = try gcm.seal(secret, associatedData: Array("alice".utf8))
        #expect(box.count == secret.count + AES256GCM.overhead)
        #expect(try gcm.open(box, associatedData: Array("alice".utf8)) == secret)
        for i in [0, 12, box.count - 1] {
            var bad = box
            bad[i] ^= 1
            #expect(throws: CryptoError(.authenticationFailed, "AES-256-GCM authentication failed: wrong key, or the bytes were changed")) {
                try gcm.open(bad, associatedData: Array("alice".utf8))
            }
        }
        #expect(throws: CryptoError.self) { try gcm.open(box, associatedData: Array("bob".utf8)) }
        #expect(throws: CryptoError.self) { try AES256GCM(key: Array(1..<33)).open(box, associatedData: Array("alice".utf8)) }
        #expect(try gcm.seal(secret) != gcm.seal(secret), "each seal draws a fresh nonce")
    }
}
