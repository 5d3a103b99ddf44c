import Foundation
import JWTKit
import LedgerCrypto
import LedgerTokens

/// Sign and verify a typical access token: AuthLedger, jwt-kit, and (in tools/bench.sh)
/// raw libcrypto over the same signing input.
enum TokenBenchmarks {
    static let now = Int64(Date().timeIntervalSince1970)
    static let custom: [String: LedgerTokens.JSONValue] = ["roles": ["user"]]

    static func issuer(_ alg: JWSAlgorithm) throws -> AccessTokenIssuer {
        AccessTokenIssuer(key: try SigningKey.generate(alg), issuer: "https://auth.example.com", audience: ["api"])
    }

    /// Runs `body` in batches until `seconds` have passed; returns operations per second.
    static func measure(_ seconds: Double, _ body: () throws -> Void) rethrows -> (Int, Double) {
        let start = monotonicSeconds()
        var ops = 0
        while monotonicSeconds() - start < seconds {
            for _ in 0..<64 { try body() }
            ops += 64
        }
        return (ops, monotonicSeconds() - start)
    }

    /// Writes a typical token's signing input (`header.payload`) for the raw libcrypto loop.
    static func writeInput(_ alg: JWSAlgorithm, to path: String) throws {
        let token = try issuer(alg).issue(subject: "user-1234567", sessionID: SessionIDText.sample, now: now, custom: custom).token
        let input = token.split(separator: ".").prefix(2).joined(separator: ".")
        try Data(input.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func sign(_ alg: JWSAlgorithm, seconds: Double) throws {
        let issuer = try issuer(alg)
        let (ops, secs) = try measure(seconds) {
            _ = try issuer.issue(subject: "user-1234567", sessionID: SessionIDText.sample, now: now, custom: custom)
        }
        report(["bench": "token-sign", "alg": alg.rawValue, "ops": ops, "seconds": secs, "per_second": Double(ops) / secs])
    }

    static func verify(_ alg: JWSAlgorithm, seconds: Double) throws {
        let issuer = try issuer(alg)
        let token = try issuer.issue(subject: "user-1234567", sessionID: SessionIDText.sample, now: now, custom: custom).token
        let verifier = AccessTokenVerifier(keys: JWKS([issuer.key.verificationKey]), policy: VerificationPolicy(issuer: "https://auth.example.com", audience: "api"))
        let (ops, secs) = try measure(seconds) { _ = try verifier.verify(token, now: now) }
        report(["bench": "token-verify", "alg": alg.rawValue, "ops": ops, "seconds": secs, "per_second": Double(ops) / secs])
    }

    struct Claims: JWTPayload {
        var iss: IssuerClaim
        var sub: SubjectClaim
        var aud: AudienceClaim
        var sid: String
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        var jti: IDClaim
        var roles: [String]
        func verify(using algorithm: some JWTAlgorithm) async throws {
            try exp.verifyNotExpired()
            try aud.verifyIntendedAudience(includes: "api")
        }
    }

    static func jwtKit(_ alg: JWSAlgorithm) async throws -> JWTKeyCollection {
        let keys = JWTKeyCollection()
        if alg == .es256 { await keys.add(ecdsa: ES256PrivateKey(), kid: "k") } else { await keys.add(eddsa: try EdDSA.PrivateKey(curve: .ed25519), kid: "k") }
        return keys
    }

    static func claims() -> Claims {
        Claims(iss: "https://auth.example.com", sub: "user-1234567", aud: "api", sid: SessionIDText.sample,
               iat: .init(value: Date()), exp: .init(value: Date().addingTimeInterval(300)),
               jti: .init(value: Base64URL.encode(SecureRandom.bytes(16))), roles: ["user"])
    }

    static func jwtKitSign(_ alg: JWSAlgorithm, seconds: Double) async throws {
        let keys = try await jwtKit(alg)
        let start = monotonicSeconds()
        var ops = 0
        while monotonicSeconds() - start < seconds {
            for _ in 0..<64 { _ = try await keys.sign(claims(), kid: "k") }
            ops += 64
        }
        let secs = monotonicSeconds() - start
        report(["bench": "jwtkit-sign", "alg": alg.rawValue, "ops": ops, "seconds": secs, "per_second": Double(ops) / secs])
    }

    static func jwtKitVerify(_ alg: JWSAlgorithm, seconds: Double) async throws {
        let keys = try await jwtKit(alg)
        let token = try await keys.sign(claims(), kid: "k")
        let start = monotonicSeconds()
        var ops = 0
        while monotonicSeconds() - start < seconds {
            for _ in 0..<64 { _ = try await keys.verify(token, as: Claims.self) }
            ops += 64
        }
        let secs = monotonicSeconds() - start
        report(["bench": "jwtkit-verify", "alg": alg.rawValue, "ops": ops, "seconds": secs, "per_second": Double(ops) / secs])
    }
}

enum SessionIDText {
    static let sample = "3f2a9c0d5e7b41a88c6d2e0f1a2b3c4d"
}

extension TokenBenchmarks {
    /// The signature primitive alone (no JWT): separates wrapper cost from token cost.
    static func primitive(_ alg: JWSAlgorithm, verify: Bool, seconds: Double) throws {
        let key = try SigningKey.generate(alg)
        let input = Array(String(repeating: "a", count: 300).utf8)
        let sig = try key.sign(input)
        let (ops, secs) = try measure(seconds) {
            if verify { precondition(key.verificationKey.isValidSignature(sig, for: input)) } else { _ = try key.sign(input) }
        }
        report(["bench": "primitive-" + (verify ? "verify" : "sign"), "alg": alg.rawValue, "ops": ops, "seconds": secs, "per_second": Double(ops) / secs])
    }
}
