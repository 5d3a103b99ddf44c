import LedgerCrypto
import Testing

@Suite("SHA-256")
struct SHA256Tests {
    // FIPS 180-2 examples.
    @Test("known answers", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func knownAnswers(input: String, hex: String) {
        #expect(SHA256.hash(Array(input.utf8)).hex == hex)
        #expect(SHA256Digest(hex: hex) == SHA256.hash(Array(input.utf8)))
    }

    @Test("hashing parts equals hashing their concatenation")
    func parts() {
        let h = SHA256()
        let a: [UInt8] = Array("abcdbcdecdefdefgefghfghi".utf8), b: [UInt8] = Array("ghijhijkijkljklmklmnlmnomnopnopq".utf8)
        let split = a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in h.hash(pa, pb) } }
        #expect(split == SHA256.hash(a + b))
    }

    @Test("constant-time comparison")
    func compare() {
        #expect(constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!constantTimeEquals([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!constantTimeEquals([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
    }

    @Test("random bytes differ between calls")
    func random() {
        #expect(SecureRandom.bytes(32) != SecureRandom.bytes(32))
        #expect(SecureRandom.bytes(0).isEmpty)
    }
}
