import LedgerCrypto
import LedgerTokens
import Testing

@Suite("Refresh tokens")
struct RefreshTokenTests {
    let key = SecureRandom.bytes(32)
    let session = SecureRandom.bytes(16)

    @Test("a minted token authenticates to its session and generation; the format is URL-safe")
    func roundTrip() throws {
        let codec = try RefreshTokenCodec(keys: [1: key], current: 1)
        let token = codec.token(session: session, generation: 7)
        #expect(token.hasPrefix("alr1_") && token.utf8.count == 5 + 71)
        #expect(token.utf8.allSatisfy { $0 < 128 && ($0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || Character(Unicode.Scalar($0)).isLetter || Character(Unicode.Scalar($0)).isNumber) })
        let parsed = try codec.authenticate(token)
        #expect(parsed.session == session && parsed.generation == 7 && parsed.keyID == 1)
    }

    @Test("successors are deterministic: the same (session, generation) always gives the same token")
    func deterministic() throws {
        let codec = try RefreshTokenCodec(keys: [1: key], current: 1)
        #expect(codec.token(session: session, generation: 3) == codec.token(session: session, generation: 3))
        #expect(codec.token(session: session, generation: 3) != codec.token(session: session, generation: 4))
    }

    @Test("forgeries are told apart from malformed input, and nothing without the key authenticates")
    func forgeries() throws {
        let codec = try RefreshTokenCodec(keys: [1: key], current: 1)
        let other = try RefreshTokenCodec(keys: [1: SecureRandom.bytes(32)], current: 1)
        #expect { try codec.authenticate(other.token(session: session, generation: 1)) } throws: { ($0 as? RefreshTokenError)?.kind == .forged }
        var chars = Array(codec.token(session: session, generation: 1).utf8)
        chars[20] = chars[20] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect { try codec.authenticate(String(decoding: chars, as: UTF8.self)) } throws: { ($0 as? RefreshTokenError)?.kind == .forged }
        for junk in ["", "alr1_", "alr2_" + String(repeating: "A", count: 71), "alr1_" + String(repeating: "A", count: 70), "eyJhbGciOi.x.y"] {
            #expect { try codec.authenticate(junk) } throws: { ($0 as? RefreshTokenError)?.kind == .malformed }
        }
        let rotated = try RefreshTokenCodec(keys: [2: SecureRandom.bytes(32)], current: 2)
        #expect { try rotated.authenticate(codec.token(session: session, generation: 1)) } throws: { ($0 as? RefreshTokenError)?.kind == .forged }
    }

    @Test("after a key rotation, tokens of the old key still authenticate while it is kept")
    func keyRotation() throws {
        let newKey = SecureRandom.bytes(32)
        let old = try RefreshTokenCodec(keys: [1: key], current: 1)
        let both = try RefreshTokenCodec(keys: [1: key, 2: newKey], current: 2)
        #expect(try both.authenticate(old.token(session: session, generation: 5)).generation == 5)
        #expect(try both.authenticate(both.token(session: session, generation: 6)).keyID == 2)
        #expect(throws: CryptoError.self) { try RefreshTokenCodec(keys: [1: [1, 2, 3]], current: 1) }
        #expect(throws: CryptoError.self) { try RefreshTokenCodec(keys: [1: key], current: 9) }
    }

    @Test("the format is the documented one: alr1_ + base64url(keyID, session, generation, HMAC of the domain-separated message)")
    func knownLayout() throws {
        let codec = try RefreshTokenCodec(keys: [3: key], current: 3)
        let generation: UInt32 = 0x0102_0304
        let body: [UInt8] = [3] + session + [1, 2, 3, 4]
        let tag = try HMACSHA256(key: key).authenticate(bytes: Array("authledger-refresh-v1".utf8) + [0] + body)
        let expected = "alr1_" + Base64URL.encode(body + tag)
        #expect(codec.token(session: session, generation: generation) == expected)
        let high = session[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }, low = session[8...].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(codec.token(sessionHigh: high, sessionLow: low, generation: generation) == expected)
        let parsed = try codec.authenticate(expected)
        #expect(parsed.sessionHigh == high && parsed.sessionLow == low && parsed.session == session && parsed.generation == generation)
        // Every single-character change is refused, as malformed or forged, never accepted.
        var chars = Array(expected.utf8)
        for i in 5..<chars.count {
            let original = chars[i]
            chars[i] = original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(throws: RefreshTokenError.self) { try codec.authenticate(String(decoding: chars, as: UTF8.self)) }
            chars[i] = original
        }
    }
}
