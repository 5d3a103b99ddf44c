import CRawCrypto
import Foundation
import JWTKit
import LedgerCrypto
import LedgerTokens

/// Sign and verify a typical access token: AuthLedger, raw libcrypto over the same signing
/// input, and jwt-kit.
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

    /// AuthLedger and a baseline (raw libcrypto over the same signing input, or jwt-kit on
    /// the same claims) on a typical token, in short bursts that alternate for `seconds`, so
    /// that both see the same machine state: on a shared, noisy machine separate one-second
    /// runs drift apart by more than the differences being measured. Reports the median
    /// burst rate of each and the median of the per-round ratios.
    static func paired(_ alg: JWSAlgorithm, verify: Bool, seconds: Double, against baseline: String) async throws {
        guard baseline == "raw" || baseline == "jwtkit" else { fail("the baseline is raw or jwtkit") }
        let issuer = try issuer(alg)
        let token = try issuer.issue(subject: "user-1234567", sessionID: SessionIDText.sample, now: now, custom: custom).token
        let verifier = AccessTokenVerifier(keys: JWKS([issuer.key.verificationKey]), policy: VerificationPolicy(issuer: "https://auth.example.com", audience: "api"))
        let input = Array(token.split(separator: ".").prefix(2).joined(separator: ".").utf8)
        guard let raw = raw_crypto_new(alg == .eddsa ? 1 : 0, input, input.count) else { fail("raw libcrypto setup failed") }
        let kit = try await jwtKit(alg)
        let kitToken = try await kit.sign(claims(), kid: "k")

        // About 5 ms per burst: long enough for the clock, short enough to interleave finely.
        let burst = 64
        let (mine, other, round) = try await alternate(seconds: seconds, ours: {
            let t0 = monotonicSeconds()
            for _ in 0..<burst {
                if verify { _ = try verifier.verify(token, now: now) }
                else { _ = try issuer.issue(subject: "user-1234567", sessionID: SessionIDText.sample, now: now, custom: custom) }
            }
            return Double(burst) / (monotonicSeconds() - t0)
        }, theirs: {
            let t0 = monotonicSeconds()
            if baseline == "raw" {
                precondition(raw_crypto_run(raw, verify ? 1 : 0, burst) == 1)
            } else {
                for _ in 0..<burst {
                    if verify { _ = try await kit.verify(kitToken, as: Claims.self) }
                    else { _ = try await kit.sign(claims(), kid: "k") }
                }
            }
            return Double(burst) / (monotonicSeconds() - t0)
        })
        raw_crypto_free(raw)
        report(["bench": "tokens-vs-\(baseline)", "op": verify ? "verify" : "sign", "alg": alg.rawValue, "rounds": round,
                "per_second": median(mine), "baseline_per_second": median(other),
                "ratio": median(zip(mine, other).map { $0 / $1 })])
    }

    /// Runs the two in turn for `seconds`, alternating which goes first so that neither
    /// always runs right after the other; returns both series and the number of rounds.
    static func alternate(seconds: Double, ours: () throws -> Double,
                          theirs: () async throws -> Double) async throws -> ([Double], [Double], Int) {
        var mine: [Double] = [], other: [Double] = []
        let end = monotonicSeconds() + seconds
        var round = 0
        while monotonicSeconds() < end || round % 2 != 0 {
            if round % 2 == 0 { mine.append(try ours()); other.append(try await theirs()) }
            else { other.append(try await theirs()); mine.append(try ours()) }
            round += 1
        }
        return (mine, other, round)
    }

    static func median(_ values: [Double]) -> Double {
        let s = values.sorted()
        return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
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

