import LedgerCrypto
import LedgerTokens
import Testing

struct Fixture {
    let key: SigningKey
    let issuer: AccessTokenIssuer
    let verifier: AccessTokenVerifier
    let now: Int64 = 1_767_225_600

    init(_ algorithm: JWSAlgorithm = .es256) throws {
        key = algorithm == .hs256 ? try SigningKey(kid: "shared", sharedSecret: SecureRandom.bytes(32)) : try SigningKey.generate(algorithm)
        issuer = AccessTokenIssuer(key: key, issuer: "https://auth.example", audience: ["api"], lifetimeSeconds: 300)
        verifier = AccessTokenVerifier(keys: JWKS([key.verificationKey]), policy: VerificationPolicy(issuer: "https://auth.example", audience: "api"))
    }

    func token(custom: [String: JSONValue] = [:]) throws -> String {
        try issuer.issue(subject: "alice", sessionID: "s1", now: now, custom: custom).token
    }

    /// Re-signs arbitrary header and payload JSON with the fixture's key.
    func forge(header: String, payload: String) throws -> String {
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        return input + "." + Base64URL.encode(try key.sign(Array(input.utf8)))
    }

    func rejection(_ token: String, at time: Int64? = nil) -> TokenError? {
        do { _ = try verifier.verify(token, now: time ?? now); return nil } catch { return error }
    }
}

@Suite("Access tokens")
struct AccessTokenTests {
    @Test("issued tokens verify and carry every claim", arguments: [JWSAlgorithm.es256, .eddsa, .hs256])
    func roundTrip(algorithm: JWSAlgorithm) throws {
        let f = try Fixture(algorithm)
        let (token, claims) = try f.issuer.issue(subject: "alice", sessionID: "s1", now: f.now, custom: ["roles": ["admin", "dev"], "tier": 3])
        let verified = try f.verifier.verify(token, now: f.now + 10)
        #expect(verified == claims)
        #expect(verified.custom["roles"] == ["admin", "dev"])
        #expect(verified.expiresAt == f.now + 300 && verified.sessionID == "s1" && verified.subject == "alice")
        let header = try CompactJWS(parsing: token).header
        #expect(header["kid"]?.stringValue == f.key.kid && header["typ"] == "at+jwt")
        #expect(try f.issuer.issue(subject: "alice", sessionID: "s1", now: f.now).claims.tokenID != claims.tokenID)
    }

    @Test("custom claims cannot replace registered ones")
    func customClaimsCannotOverwrite() throws {
        let f = try Fixture()
        for name in ["sub", "exp", "sid", "iss", "aud"] {
            #expect(throws: TokenError.self) { try f.token(custom: [name: "evil"]) }
        }
    }

    @Test("the report lists every check, and a bad signature does not hide a claim failure")
    func report() throws {
        let f = try Fixture()
        var token = try f.token()
        token.removeLast(2)
        token += "AA"
        let report = f.verifier.report(token, now: f.now + 1000)
        #expect(!report.passed)
        #expect(report.results.first { $0.check == .signature }?.passed == false)
        #expect(report.results.first { $0.check == .expired }?.passed == false)
        #expect(report.results.first { $0.check == .audience }?.passed == true)
        #expect(f.verifier.report(try f.token(), now: f.now).passed)
    }
}

/// Each rejection a verifier must make, pinned by name.
@Suite("Access token negative cases")
struct AccessTokenNegativeTests {
    @Test("alg none is refused")
    func algNone() throws {
        let f = try Fixture()
        let payload = String(decoding: try CompactJWS(parsing: try f.token()).payload, as: UTF8.self)
        let unsigned = Base64URL.encode(Array(#"{"alg":"none","kid":"\#(f.key.kid)"}"#.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "."
        #expect(f.rejection(unsigned)?.check == .unsecured)
        let noneCaps = Base64URL.encode(Array(#"{"alg":"NONE"}"#.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "."
        #expect(f.rejection(noneCaps)?.check == .unsecured)
    }

    @Test("HS256 signed with the public key's bytes (algorithm confusion) is refused")
    func algorithmConfusion() throws {
        let f = try Fixture(.es256)
        let payload = String(decoding: try CompactJWS(parsing: try f.token()).payload, as: UTF8.self)
        let jwk = f.key.verificationKey.jwk!.serialized
        let header = #"{"alg":"HS256","kid":"\#(f.key.kid)"}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(payload.utf8))
        // Every byte string an attacker might take as "the public key".
        let pubBytes = [Array(jwk.utf8), try P256.PublicKey(x: Base64URL.decode(f.key.verificationKey.jwk!.objectValue!["x"]!.stringValue!)!, y: Base64URL.decode(f.key.verificationKey.jwk!.objectValue!["y"]!.stringValue!)!).x]
        for secret in pubBytes {
            let mac = HMACSHA256(unsafeShortKey: secret).authenticate(bytes: Array(input.utf8))
            #expect(f.rejection(input + "." + Base64URL.encode(mac))?.check == .algorithm)
        }
    }

    @Test("truncated and over-long signatures are refused")
    func signatureLength() throws {
        let f = try Fixture()
        let parts = try f.token().split(separator: ".").map(String.init)
        let sig = Base64URL.decode(parts[2])!
        for bad in [Array(sig.dropLast()), sig + [0], Array(sig.prefix(32)), []] {
            #expect(f.rejection(parts[0] + "." + parts[1] + "." + Base64URL.encode(bad))?.check == .signature)
        }
    }

    @Test("s = 0 is refused")
    func sIsZero() throws {
        let f = try Fixture()
        let parts = try f.token().split(separator: ".").map(String.init)
        let sig = Array(Base64URL.decode(parts[2])!.prefix(32)) + [UInt8](repeating: 0, count: 32)
        #expect(f.rejection(parts[0] + "." + parts[1] + "." + Base64URL.encode(sig))?.check == .signature)
    }

    @Test("r = n is refused")
    func rIsN() throws {
        let f = try Fixture()
        let parts = try f.token().split(separator: ".").map(String.init)
        let n = [UInt8](hex: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!
        let sig = n + Base64URL.decode(parts[2])!.suffix(32)
        #expect(f.rejection(parts[0] + "." + parts[1] + "." + Base64URL.encode(sig))?.check == .signature)
    }

    @Test("expired tokens are refused after the leeway, accepted within it")
    func expired() throws {
        let f = try Fixture()
        let token = try f.token()
        #expect(f.rejection(token, at: f.now + 300 + 30) == nil)
        #expect(f.rejection(token, at: f.now + 300 + 31)?.check == .expired)
    }

    @Test("tokens not yet valid (nbf, or iat in the future) are refused")
    func notYetValid() throws {
        let f = try Fixture()
        var claims = AccessTokenClaims(issuer: "https://auth.example", subject: "a", audience: ["api"], sessionID: "s",
                                       issuedAt: f.now, expiresAt: f.now + 600, notBefore: f.now + 120, tokenID: "j")
        #expect(f.rejection(try f.issuer.sign(claims))?.check == .notYetValid)
        #expect(f.rejection(try f.issuer.sign(claims), at: f.now + 100) == nil)
        claims.notBefore = nil
        claims.issuedAt = f.now + 120
        #expect(f.rejection(try f.issuer.sign(claims))?.check == .issuedInFuture)
    }

    @Test("a wrong audience or issuer is refused")
    func wrongAudience() throws {
        let f = try Fixture()
        let other = AccessTokenIssuer(key: f.key, issuer: "https://auth.example", audience: ["billing"])
        #expect(f.rejection(try other.issue(subject: "a", sessionID: "s", now: f.now).token)?.check == .audience)
        let wrongIss = AccessTokenIssuer(key: f.key, issuer: "https://evil.example", audience: ["api"])
        #expect(f.rejection(try wrongIss.issue(subject: "a", sessionID: "s", now: f.now).token)?.check == .issuer)
        let multi = AccessTokenIssuer(key: f.key, issuer: "https://auth.example", audience: ["billing", "api"])
        #expect(f.rejection(try multi.issue(subject: "a", sessionID: "s", now: f.now).token) == nil)
    }

    @Test("an unknown kid is refused, as is a kid-less token when several keys are trusted")
    func unknownKid() throws {
        let f = try Fixture()
        let other = try Fixture()
        #expect(f.rejection(try other.token())?.check == .keyID)
        let noKid = try f.forge(header: #"{"alg":"ES256"}"#, payload: #"{"iss":"https://auth.example","sub":"a","aud":"api","exp":\#(f.now + 60)}"#)
        #expect(f.rejection(noKid) == nil)  // one trusted key: it is the key
        let two = AccessTokenVerifier(keys: JWKS([f.key.verificationKey, other.key.verificationKey]), policy: f.verifier.policy)
        #expect(throws: TokenError.self) { try two.verify(noKid, now: f.now) }
    }

    @Test("a tampered payload is refused")
    func tamperedPayload() throws {
        let f = try Fixture()
        let parts = try f.token().split(separator: ".").map(String.init)
        var payload = String(decoding: Base64URL.decode(parts[1])!, as: UTF8.self)
        payload = payload.replacingOccurrences(of: "alice", with: "admin")
        #expect(f.rejection(parts[0] + "." + Base64URL.encode(Array(payload.utf8)) + "." + parts[2])?.check == .signature)
    }

    @Test("a tampered header is refused")
    func tamperedHeader() throws {
        let f = try Fixture()
        let parts = try f.token().split(separator: ".").map(String.init)
        let header = #"{"alg":"ES256","kid":"\#(f.key.kid)","typ":"JWT"}"#
        #expect(f.rejection(Base64URL.encode(Array(header.utf8)) + "." + parts[1] + "." + parts[2])?.check == .signature)
    }

    @Test("non-canonical base64url is refused")
    func nonCanonicalBase64() throws {
        let f = try Fixture()
        let parts = try f.token().split(separator: ".").map(String.init)
        #expect(f.rejection(parts[0] + "=." + parts[1] + "." + parts[2])?.check == .encoding)
        #expect(f.rejection(parts[0] + "." + parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "x." + parts[2])?.check == .encoding)
        // Flip the unused low bits of the signature's last character (86 chars: 4 spare bits).
        var sig = Array(parts[2].utf8)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        let v = alphabet.firstIndex(of: sig.last!)!
        sig[sig.count - 1] = alphabet[v ^ 1]
        #expect(f.rejection(parts[0] + "." + parts[1] + "." + String(decoding: sig, as: UTF8.self))?.check == .encoding)
    }

    @Test("an oversized token is refused before parsing")
    func oversized() throws {
        let f = try Fixture()
        let big = try f.token(custom: ["blob": .string(String(repeating: "x", count: 9000))])
        #expect(f.rejection(big)?.check == .size)
    }

    @Test("a crit header is refused")
    func critHeader() throws {
        let f = try Fixture()
        let t = try f.forge(header: #"{"alg":"ES256","kid":"\#(f.key.kid)","crit":["exp"]}"#, payload: #"{"iss":"https://auth.example","sub":"a","aud":"api","exp":\#(f.now + 60)}"#)
        #expect(f.rejection(t)?.check == .critical)
    }

    @Test("duplicate members and malformed JSON are refused")
    func duplicateJSON() throws {
        let f = try Fixture()
        let dupPayload = try f.forge(header: #"{"alg":"ES256","kid":"\#(f.key.kid)"}"#,
                                     payload: #"{"iss":"https://auth.example","sub":"a","sub":"admin","aud":"api","exp":\#(f.now + 60)}"#)
        #expect(f.rejection(dupPayload)?.check == .payload)
        let dupHeader = try f.forge(header: #"{"alg":"ES256","alg":"none","kid":"\#(f.key.kid)"}"#, payload: "{}")
        #expect(f.rejection(dupHeader)?.check == .header)
        let malformed = try f.forge(header: #"{"alg":"ES256","kid":"\#(f.key.kid)"}"#, payload: #"{"iss":}"#)
        #expect(f.rejection(malformed)?.check == .payload)
        let missingExp = try f.forge(header: #"{"alg":"ES256","kid":"\#(f.key.kid)"}"#, payload: #"{"iss":"https://auth.example","sub":"a","aud":"api"}"#)
        #expect(f.rejection(missingExp)?.check == .claims)
    }

    @Test("the payload reader is as strict as the JSON parser: duplicates anywhere, non-objects, trailing data, bad UTF-8")
    func strictPayload() throws {
        let f = try Fixture()
        let header = #"{"alg":"ES256","kid":"\#(f.key.kid)"}"#
        let base = #""iss":"https://auth.example","sub":"a","aud":"api","exp":\#(f.now + 60)"#
        for payload in ["{\(base),\"exp\":1}", "{\(base),\"role\":1,\"role\":2}", "[\(base)]", "{\(base)} {}", "{\(base),}", "\"x\""] {
            let e = f.rejection(try f.forge(header: header, payload: payload))
            #expect(e?.check == .payload, "\(payload)")
        }
        // Bytes that are not UTF-8 inside a string, forged below the String level.
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array("{\(base),\"n\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8))
        let bad = input + "." + Base64URL.encode(try f.key.sign(Array(input.utf8)))
        #expect(f.rejection(bad)?.check == .payload)
        // Non-ASCII text and nested custom claims come through exactly.
        let good = try f.forge(header: header, payload: "{\(base),\"name\":\"Zoë 😀\",\"org\":{\"id\":[1,\"x\"]}}")
        let claims = try f.verifier.verify(good, now: f.now)
        #expect(claims.custom == ["name": "Zoë 😀", "org": ["id": [1, "x"]]])
        #expect(claims.subject == "a" && claims.audience == ["api"])
    }

    @Test("a key embedded in the header is never trusted")
    func embeddedJWK() throws {
        let f = try Fixture()
        let attacker = try SigningKey.generate(.es256)
        let header = #"{"alg":"ES256","kid":"\#(f.key.kid)","jwk":\#(attacker.verificationKey.jwk!.serialized)}"#
        let input = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(#"{"iss":"https://auth.example","sub":"a","aud":"api","exp":\#(f.now + 60)}"#.utf8))
        let token = input + "." + Base64URL.encode(try attacker.sign(Array(input.utf8)))
        #expect(f.rejection(token)?.check == .keyID)
    }

    @Test("errors name the failed check and keep the reason")
    func errorsExplain() throws {
        let f = try Fixture()
        let e = try #require(f.rejection(try f.token(), at: f.now + 10_000))
        #expect(e.check == .expired)
        #expect(e.description.contains("exp") && e.description.contains("leeway"))
    }
}

import Foundation

@Suite("Verifier header cache")
struct HeaderCacheTests {
    @Test("remembered verdicts stay right: a refused header is refused again, and many distinct headers change nothing")
    func cache() throws {
        let f = try Fixture()
        let bad = try f.forge(header: #"{"alg":"HS256","kid":"\#(f.key.kid)"}"#, payload: "{}")
        #expect(f.rejection(bad)?.check == .algorithm)
        #expect(f.rejection(bad)?.check == .algorithm)
        let payload = #"{"iss":"https://auth.example","sub":"a","aud":"api","exp":\#(f.now + 60)}"#
        for i in 0..<200 {
            // Distinct headers, each valid: past the cache's bound they are checked every time.
            let t = try f.forge(header: #"{"alg":"ES256","kid":"\#(f.key.kid)","n":\#(i)}"#, payload: payload)
            #expect(f.rejection(t) == nil)
        }
        let t = try f.forge(header: #"{"alg":"ES256","kid":"\#(f.key.kid)","crit":["n"]}"#, payload: payload)
        #expect(f.rejection(t)?.check == .critical)
        #expect(f.rejection(try f.token()) == nil)
    }
}

@Suite("Verifier hardening")
struct VerifierHardeningTests {
    @Test("extreme NumericDates in an unsigned token are reported, never trap")
    func extremeDates() throws {
        let f = try Fixture()
        for exp in [Int64.max, Int64.min] {
            let payload = #"{"iss":"https://auth.example","sub":"a","aud":"api","exp":\#(exp),"nbf":\#(exp),"iat":\#(exp)}"#
            let token = Base64URL.encode(Array(#"{"alg":"ES256","kid":"\#(f.key.kid)"}"#.utf8)) + "." + Base64URL.encode(Array(payload.utf8)) + "." + Base64URL.encode([UInt8](repeating: 1, count: 64))
            let report = f.verifier.report(token, now: f.now)
            #expect(!report.passed)
            #expect(report.results.contains { $0.check == .signature && !$0.passed })
            #expect(f.rejection(token)?.check == .signature)
        }
    }
}

@Suite("Key ids are exact bytes")
struct KeyIDBytesTests {
    @Test("a token naming a kid canonically equal to a published one, but with other bytes, finds no key")
    func canonicallyEquivalentKid() throws {
        let f = try Fixture(.es256)
        let published = "Caf\u{E9}", lookalike = "Cafe\u{301}"
        #expect(published == lookalike)   // equal as Swift Strings …
        let keys = JWKS([f.key.verificationKey.withKID(published)])
        #expect(keys[published] != nil)
        #expect(keys[lookalike] == nil)   // … but not as key ids
        let verifier = AccessTokenVerifier(keys: keys, policy: f.verifier.policy)
        let payload = #"{"iss":"https://auth.example","sub":"alice","aud":"api","sid":"s1","iat":1767225600,"exp":1767225900,"jti":"x"}"#
        func header(_ kid: String) -> String { #"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)"}"# }
        _ = try verifier.verify(try f.forge(header: header(published), payload: payload), now: f.now)
        let forged = try f.forge(header: header(lookalike), payload: payload)
        #expect { _ = try verifier.verify(forged, now: f.now) } throws: { ($0 as? TokenError)?.check == .keyID }
    }
}

@Suite("Untrusted text in messages")
struct UntrustedTextTests {
    @Test("control characters, quotes, backslashes and non-ASCII become \\u escapes; long text is cut",
          arguments: [("plain-kid_1", #""plain-kid_1""#), ("a\"b\\c", #""a\u0022b\u005cc""#), ("\u{1b}[2J\n\r\t", #""\u001b[2J\u000a\u000d\u0009""#),
                      ("é€😀", #""\u00e9\u20ac\ud83d\ude00""#), ("\u{7f}\u{0}", #""\u007f\u0000""#)])
    func escapes(_ input: String, _ expected: String) {
        #expect(UntrustedText.quoted(input) == expected)
    }

    @Test("long text is cut")
    func cut() {
        #expect(UntrustedText.escaped(String(repeating: "k", count: 500)) == String(repeating: "k", count: 128) + "...(cut)")
    }

    @Test("a kid with a newline and an escape sequence does not reach the error message raw")
    func kidInError() throws {
        let header = Base64URL.encode(Array(#"{"alg":"ES256","kid":"x\n\u001b"}"#.utf8))
        let jws = try CompactJWS(parsing: header + ".e30.AAAA")
        #expect(throws: TokenError(.keyID, #"no key with kid "x\u000a\u001b" in the key set"#)) { try jws.verifySignature(with: JWKS()) }
    }
}

@Suite("Audiences")
struct AudienceTests {
    @Test("a verifier serving several audiences accepts a token for any of them, and no other")
    func severalAudiences() throws {
        let f = try Fixture(.es256)
        let verifier = AccessTokenVerifier(keys: JWKS([f.key.verificationKey]),
                                           policy: VerificationPolicy(issuer: "https://auth.example", audiences: ["api", "api-v2"]))
        for aud in [["api-v2"], ["billing", "api"]] {
            let issuer = AccessTokenIssuer(key: f.key, issuer: "https://auth.example", audience: aud)
            _ = try verifier.verify(try issuer.issue(subject: "a", sessionID: "s", now: f.now).token, now: f.now)
        }
        let other = AccessTokenIssuer(key: f.key, issuer: "https://auth.example", audience: ["billing"])
        #expect(throws: TokenError.self) { try verifier.verify(try other.issue(subject: "a", sessionID: "s", now: f.now).token, now: f.now) }
    }
}
