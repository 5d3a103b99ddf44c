import Foundation
import LedgerCrypto
import LedgerTesting
import LedgerTokens
import Testing

/// Runs tools/jwt_interop.py (PyJWT and joserfc from PyPI, installed by tools/install-deps.sh).
enum Interop {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/jwt_interop.py").path

    static func run(_ arguments: [String], input: String = "") throws -> [String] {
        let r = try ChildProcess.run("python3", [script] + arguments, input: Array(input.utf8))
        guard r.succeeded else {
            throw InteropFailure(message: "jwt_interop.py \(r.termination) (run tools/install-deps.sh?): " + r.errorOutput)
        }
        return r.output.split(separator: "\n").map(String.init)
    }

    struct InteropFailure: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

@Suite("Interop with PyJWT and joserfc")
struct InteropTests {
    let now = Int64(Date().timeIntervalSince1970)

    @Test("tokens issued here verify in PyJWT and joserfc from the published JWKS", arguments: [JWSAlgorithm.es256, .eddsa])
    func ourTokensVerifyThere(algorithm: JWSAlgorithm) throws {
        let key = try SigningKey.generate(algorithm)
        let issuer = AccessTokenIssuer(key: key, issuer: "https://auth.example", audience: ["api"])
        let jwksFile = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID()).json")
        try Data(JWKS([key.verificationKey]).document.serialized.utf8).write(to: jwksFile)
        defer { try? FileManager.default.removeItem(at: jwksFile) }
        let tokens = try (0..<5).map { i in
            try issuer.issue(subject: "user-\(i)", sessionID: "s\(i)", now: now, custom: ["roles": ["admin"]]).token
        }
        let results = try Interop.run(["verify", "--jwks", jwksFile.path, "--iss", "https://auth.example", "--aud", "api", "--now", "\(now)"],
                                      input: tokens.joined(separator: "\n") + "\n")
        #expect(results.count == tokens.count)
        for (i, line) in results.enumerated() {
            let result = try #require(try JSONParser.parse(line).objectValue)
            for library in ["pyjwt", "joserfc"] {
                let r = try #require(result[library]?.objectValue)
                #expect(r["ok"] == true, "\(library): \(r["error"] ?? nil)")
                #expect(r["claims"]?.objectValue?["sub"] == .string("user-\(i)"))
                #expect(r["claims"]?.objectValue?["roles"] == ["admin"])
            }
        }
        // And a tampered token is refused there too.
        var bad = Array(tokens[0].utf8)
        bad[bad.count / 2] = bad[bad.count / 2] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let refused = try Interop.run(["verify", "--jwks", jwksFile.path, "--iss", "https://auth.example", "--aud", "api", "--now", "\(now)"],
                                      input: String(decoding: bad, as: UTF8.self) + "\n")
        let r = try #require(try JSONParser.parse(refused[0]).objectValue)
        #expect(r["pyjwt"]?.objectValue?["ok"] == false && r["joserfc"]?.objectValue?["ok"] == false)
    }

    @Test("tokens signed by PyJWT and joserfc verify here with their JWKS", arguments: [JWSAlgorithm.es256, .eddsa])
    func theirTokensVerifyHere(algorithm: JWSAlgorithm) throws {
        let jwksFile = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID()).json")
        defer { try? FileManager.default.removeItem(at: jwksFile) }
        let tokens = try Interop.run(["sign", "--alg", algorithm.rawValue, "--jwks-out", jwksFile.path,
                                      "--iss", "https://auth.example", "--aud", "api", "--now", "\(now)"])
        #expect(tokens.count == 2)
        let (keys, skipped) = try JWKS.parse([UInt8](Data(contentsOf: jwksFile)))
        #expect(skipped.isEmpty && keys.keys.count == 1)
        let verifier = AccessTokenVerifier(keys: keys, policy: VerificationPolicy(issuer: "https://auth.example", audience: "api"))
        for token in tokens {
            let claims = try verifier.verify(token, now: now)
            #expect(claims.subject == "interop-user")
            #expect(claims.sessionID == "0123456789abcdef0123456789abcdef")
            #expect(claims.custom["roles"] == ["reader"])
            #expect(try CompactJWS(parsing: token).algorithm == algorithm.rawValue)
        }
    }
}
