import LedgerCrypto
import LedgerTokens
import Testing

@Suite("Signature primitives")
struct PrimitiveTests {
    @Test("ES256 and EdDSA sign and verify; a changed message or signature fails", arguments: [JWSAlgorithm.es256, .eddsa])
    func signVerify(algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let message = Array("header.payload".utf8)
        var sig = try key.sign(message)
        #expect(sig.count == 64)
        #expect(key.verificationKey.isValidSignature(sig, for: message))
        #expect(!key.verificationKey.isValidSignature(sig, for: Array("header.payloaD".utf8)))
        sig[10] ^= 1
        #expect(!key.verificationKey.isValidSignature(sig, for: message))
    }

    @Test("ES256 signing with reused contexts draws a fresh nonce each time and stays correct across threads")
    func es256ReusedContexts() async throws {
        let key = try SigningKey.generate(.es256)
        let message = Array("header.payload".utf8)
        // The same message signed twice gives different signatures (ECDSA's random k)...
        let a = try key.sign(message), b = try key.sign(message)
        #expect(a != b)
        // ...and many tasks signing at once with one key all produce valid, distinct signatures.
        let signatures = try await withThrowingTaskGroup(of: [[UInt8]].self) { group in
            for _ in 0..<8 { group.addTask { try (0..<50).map { _ in try key.sign(message) } } }
            return try await group.reduce(into: [[UInt8]]()) { $0 += $1 }
        }
        #expect(signatures.allSatisfy { key.verificationKey.isValidSignature($0, for: message) })
        #expect(Set(signatures).count == signatures.count)
    }

    @Test("private keys survive a PEM round trip and keep their kid", arguments: [JWSAlgorithm.es256, .eddsa])
    func pemRoundTrip(algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let pem = try key.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let again = try SigningKey(pem: pem, algorithm: algorithm)
        #expect(again.kid == key.kid)
        #expect(again.verificationKey == key.verificationKey)
        #expect(key.verificationKey.isValidSignature(try again.sign([1, 2, 3]), for: [1, 2, 3] as [UInt8]))
    }

    @Test("a PEM key of the wrong type is refused")
    func pemWrongType() throws {
        let ed = try SigningKey.generate(.eddsa).pemRepresentation()
        #expect(throws: CryptoError.self) { try SigningKey(pem: ed, algorithm: .es256) }
        #expect(throws: CryptoError.self) { try SigningKey(pem: "not a key", algorithm: .eddsa) }
    }

    @Test("JWKs round-trip and private members are refused")
    func jwkRoundTrip() throws {
        for alg in [JWSAlgorithm.es256, .eddsa] {
            let key = try SigningKey.generate(alg).verificationKey
            #expect(try VerificationKey(jwk: try #require(key.jwk)) == key)
        }
        var jwk = try #require(try SigningKey.generate(.es256).verificationKey.jwk?.objectValue)
        jwk["d"] = "AAAA"
        #expect(throws: KeyError.self) { try VerificationKey(jwk: .object(jwk)) }
        jwk["d"] = nil
        jwk["use"] = "enc"
        #expect(throws: KeyError.self) { try VerificationKey(jwk: .object(jwk)) }
        jwk["use"] = nil
        jwk["alg"] = "HS256"
        #expect(throws: KeyError.self) { try VerificationKey(jwk: .object(jwk)) }
    }

    @Test("a point off the curve is refused")
    func offCurve() {
        #expect(throws: CryptoError.self) { try P256.PublicKey(x: [UInt8](repeating: 1, count: 32), y: [UInt8](repeating: 2, count: 32)) }
    }

    @Test("DER ⇄ JOSE conversion: round trip, and out-of-range r or s refused")
    func derConversion() throws {
        let key = try P256.SigningKey()
        let sig = try key.signature(for: [1, 2, 3] as [UInt8])
        let der = try #require(sig.withUnsafeBytes { P256.derSignature(fromJOSE: $0) })
        #expect(P256.joseSignature(fromDER: der) == sig)
        let n = [UInt8](hex: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!
        for bad in [[UInt8](repeating: 0, count: 32) + sig[32...], Array(sig[..<32]) + [UInt8](repeating: 0, count: 32), n + sig[32...], Array(sig[..<32]) + n] {
            #expect(bad.withUnsafeBytes { P256.derSignature(fromJOSE: $0) } == nil)
        }
    }

    @Test("base64url is strict: padding, foreign characters and non-canonical tails are refused")
    func base64url() {
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("-_9") == nil)   // unused low bits set
        #expect(Base64URL.decode("-_8=") == nil)
        #expect(Base64URL.decode("+/8") == nil)
        #expect(Base64URL.decode("A") == nil)
        #expect(Base64URL.decode("") == [])
        for n in 0..<40 {
            let bytes = SecureRandom.bytes(n)
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
        }
    }

    @Test("the strict JSON parser refuses duplicates, trailing data and bad escapes")
    func strictJSON() throws {
        #expect(try JSONParser.parse(#"{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,null]}"#) ==
                ["a": [1, .double(-2500), "xé😀", true, nil]])
        for bad in [#"{"a":1,"a":2}"#, #"{"a":1} x"#, #"{"a":"\x"}"#, "{\"a\":\"\u{01}\"}", #"{"a":01}"#, #"{"a":"\ud800"}"#, #"[1,]"#, ""] {
            #expect(throws: JSONParser.Failure.self, "\(bad)") { try JSONParser.parse(bad) }
        }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(String(repeating: "[", count: 40) + String(repeating: "]", count: 40)) }
    }
}

@Suite("Small helpers")
struct HelperTests {
    @Test("buffered random bytes are distinct and of the requested size")
    func bufferedRandom() {
        var seen = Set<[UInt8]>()
        for _ in 0..<1_000 {
            let b = SecureRandom.bufferedBytes(16)
            #expect(b.count == 16)
            seen.insert(b)
        }
        #expect(seen.count == 1_000)
    }

    @Test("NumericDate claims serialise exactly", arguments: [0 as Int64, 9, 10, 99, 1_767_225_600, -5, Int64.max])
    func decimals(value: Int64) throws {
        let claims = AccessTokenClaims(issuer: "i", subject: "s", audience: ["a"], sessionID: "x", issuedAt: value, expiresAt: value, tokenID: "j")
        let issuer = AccessTokenIssuer(key: try SigningKey.generate(.es256), issuer: "i", audience: ["a"])
        let token = try issuer.sign(claims)
        let payload = try JSONParser.parse(try CompactJWS(parsing: token).payload)
        #expect(payload.objectValue?["iat"] == .integer(value))
        #expect(payload.objectValue?["exp"] == .integer(value))
    }
}
