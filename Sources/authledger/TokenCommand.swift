import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerCodec
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
        @Argument(help: "A compact JWS (header.payload.signature), or - to read it from standard input.") var token: String

        func run() throws {
            let token = try readToken(token)
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
                    emit("\(name) (not JSON): \(UntrustedText.quoted(String(decoding: bytes, as: UTF8.self)))")
                }
            }
            emit("signature: \(Base64URL.decode(String(parts[2]))?.count ?? 0) bytes (not checked; use `authledger token verify`)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a token against a JWKS: the signature and each claim, reported separately.",
            discussion: """
                Exits 0 only if every check that ran passes; checks that did not run are \
                listed as "not checked". The key named by the token's kid decides the \
                algorithm. With --signature-only, only the JWS signature is checked (for \
                tokens from any issuer, whatever their claims).

                Pass - as the token to read it from standard input, which keeps it out of the \
                shell history and the process list.

                Example: authledger token verify - --jwks jwks.json --issuer authledger --audience api < token.txt
                """)
        @Argument(help: "A compact JWS, or - to read it from standard input.") var token: String
        @Option(help: "The key set: a file path or an https URL.") var jwks: String
        @Option(help: "The expected issuer (without it, iss is not checked).") var issuer: String?
        @Option(help: "The expected audience (without it, aud is not checked).") var audience: String?
        @Option(help: "Clock skew tolerated, in seconds.") var leeway: Int64 = 30
        @Flag(help: "Check only the signature against the key set.") var signatureOnly = false
        @Flag(help: "Allow fetching the key set over plain http:// (anyone on the path can substitute their own keys).")
        var allowInsecureHttp = false

        func run() async throws {
            let token = try readToken(token)
            let bytes = try await load(jwks)
            let (keys, skipped) = try JWKS.parse(bytes)
            for s in skipped { FileHandle.standardError.write(Data("note: key set entry skipped: \(s)\n".utf8)) }
            if signatureOnly {
                do {
                    let key = try CompactJWS(parsing: token).verifySignature(with: keys)
                    emit("signature: ok (\(key.algorithm.rawValue), kid \(key.kid))")
                    emit("claims: not checked (--signature-only)")
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
            // The verifier was given the token's own issuer and audience where none was
            // asked for, so those checks cannot fail: never report them as "ok".
            let unchecked = [(TokenCheck.issuer, "issuer", issuer), (.audience, "audience", audience)].filter { $0.2 == nil }
            for r in report.results {
                let outcome = unchecked.first { $0.0 == r.check }.map { "not checked (no --\($0.1) given)" }
                    ?? (r.passed ? "ok" : "FAILED: \(r.error!.reason)")
                emit("\(r.check.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(outcome)")
            }
            if !unchecked.isEmpty {
                let names = unchecked.map(\.1)
                emit("note: \(names.joined(separator: " and ")) NOT checked; pass \(names.map { "--" + $0 }.joined(separator: " and ")) to check")
            }
            if !report.passed { throw ExitCode(1) }
        }

        private func load(_ source: String) async throws -> [UInt8] {
            if source.lowercased().hasPrefix("http://") && !allowInsecureHttp {
                throw CLIError("refusing to fetch the key set over plain http (\(source)): anyone on the path could substitute their own keys and make any token verify. Use https, a file, or pass --allow-insecure-http if you accept that")
            }
            if source.lowercased().hasPrefix("http://") || source.lowercased().hasPrefix("https://") {
                guard let url = URL(string: source) else { throw CLIError("not a URL: \(source)") }
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

/// The token given on the command line, or read from standard input for `-` (so that it
/// need not appear in the shell history or the process list).
func readToken(_ argument: String) throws -> String {
    guard argument == "-" else { return argument }
    let text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !token.isEmpty else { throw CLIError("no token on standard input") }
    return token
}
