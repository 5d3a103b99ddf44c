import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerEvents
import LedgerLog
import LedgerTokens
import LedgerCrypto

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Inspect and verify access tokens (from AuthLedger or any JWT issuer).",
        subcommands: [Inspect.self, Verify.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode a token's header and claims WITHOUT checking anything.",
            discussion: "Nothing printed here is trustworthy until `token verify` says so.")
        @Argument(help: "A compact JWS (header.payload.signature).") var token: String

        func run() throws {
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3 else { throw CLIError("a compact JWS has three parts separated by '.'; this has \(parts.count)") }
            for (name, part) in [("header", parts[0]), ("claims", parts[1])] {
                guard let bytes = Base64URL.decode(String(part)) else { throw CLIError("the \(name) is not canonical base64url") }
                if let json = try? JSONParser.parse(bytes) {
                    emit("\(name): \(json.serialized(alsoEscaping: TextEscaping.isEscaped))")
                    if name == "claims", let o = json.objectValue {
                        for claim in ["iat", "nbf", "exp"] {
                            if let t = o[claim]?.integerValue { emit("  \(claim) = \(Timestamp(seconds: t))") }
                        }
                    }
                } else {
                    emit("\(name) (not JSON): \(TextEscaping.quoted(String(decoding: bytes, as: UTF8.self)))")
                }
            }
            emit("signature: \(Base64URL.decode(String(parts[2]))?.count ?? 0) bytes (not checked; use `authledger token verify`)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a token against a JWKS: the signature and each claim, reported separately.",
            discussion: """
                Exits 0 only if every check passes. The key named by the token's kid decides \
                the algorithm. With --signature-only, only the JWS signature is checked (for \
                tokens from any issuer, whatever their claims).

                Example: authledger token verify "$TOKEN" --jwks jwks.json --issuer authledger --audience api
                """)
        @Argument(help: "A compact JWS.") var token: String
        @Option(help: "The key set: a file path or an http(s) URL.") var jwks: String
        @Option(help: "The expected issuer (default: skip the check by expecting the token's own).") var issuer: String?
        @Option(help: "The expected audience (default: skip the check by expecting the token's own).") var audience: String?
        @Option(help: "Clock skew tolerated, in seconds.") var leeway: Int64 = 30
        @Flag(help: "Check only the signature against the key set.") var signatureOnly = false

        func run() async throws {
            let bytes = try await load(jwks)
            let (keys, skipped) = try JWKS.parse(bytes)
            for s in skipped { FileHandle.standardError.write(Data("note: key set entry skipped: \(s)\n".utf8)) }
            if signatureOnly {
                do {
                    let key = try CompactJWS(parsing: token).verifySignature(with: keys)
                    emit("signature: ok (\(key.algorithm.rawValue), kid \(key.kid))")
                } catch {
                    emit("signature: FAILED: \(error)")
                    throw ExitCode(1)
                }
                return
            }
            // Unspecified issuer or audience: take the token's own, so those checks pass
            // and the report is about everything else.
            let claims = (try? CompactJWS(parsing: token)).flatMap { try? JSONParser.parse($0.payload).objectValue } ?? [:]
            let iss = issuer ?? claims["iss"]?.stringValue ?? ""
            let aud = audience ?? claims["aud"]?.stringValue ?? claims["aud"]?.arrayValue?.first?.stringValue ?? ""
            let verifier = AccessTokenVerifier(keys: keys, policy: VerificationPolicy(issuer: iss, audience: aud, leewaySeconds: leeway))
            let report = verifier.report(token, now: SystemClock().now().seconds)
            for r in report.results {
                emit("\(r.check.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(r.passed ? "ok" : "FAILED: \(r.error!.reason)")")
            }
            if issuer == nil { emit("(iss not checked: pass --issuer)") }
            if audience == nil { emit("(aud not checked: pass --audience)") }
            if !report.passed { throw ExitCode(1) }
        }

        private func load(_ source: String) async throws -> [UInt8] {
            if source.hasPrefix("http://") || source.hasPrefix("https://") {
                guard let url = URL(string: source) else { throw CLIError("not a URL: \(TextEscaping.quoted(source))") }
                let (data, response) = try await URLSession.shared.data(from: url)
                if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                    throw CLIError("fetching \(TextEscaping.quoted(source)) answered HTTP \(http.statusCode)")
                }
                return [UInt8](data)
            }
            guard let data = FileManager.default.contents(atPath: source) else { throw CLIError("cannot read the key set file \(TextEscaping.quoted(source))") }
            return [UInt8](data)
        }
    }
}
