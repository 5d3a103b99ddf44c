import Foundation
import LedgerCrypto
import Testing

@Suite("authledger token verify")
struct TokenVerifyCLITests {
    /// The scenario's phone access token and its JWKS in a file (kept while the value lives).
    struct Fixture {
        let scenario: Scenario
        let token: String
        let jwks: String

        init() async throws {
            scenario = try await Scenario()
            token = scenario.phone.accessToken
            jwks = scenario.dir.appending("jwks.json")
            try Data(try authledger(["jwks"] + scenario.data).out.utf8).write(to: URL(fileURLWithPath: jwks))
        }
    }

    @Test("without --issuer and --audience, the output says those checks did not run instead of calling them ok")
    func uncheckedClaims() async throws {
        let f = try await Fixture()
        defer { withExtendedLifetime(f) {} }
        let (token, jwks) = (f.token, f.jwks)
        let r = try authledger(["token", "verify", token, "--jwks", jwks])
        #expect(r.out.contains("iss        not checked (no --issuer given)"), "\(r.out) \(r.err)")
        #expect(r.out.contains("aud        not checked (no --audience given)"))
        #expect(!r.out.contains("iss        ok") && !r.out.contains("aud        ok"))
        #expect(r.out.contains("issuer and audience NOT checked"))
        let onlyIssuer = try authledger(["token", "verify", token, "--jwks", jwks, "--issuer", "authledger"])
        #expect(onlyIssuer.out.contains("iss        ok") && onlyIssuer.out.contains("aud        not checked"))
        let sigOnly = try authledger(["token", "verify", token, "--jwks", jwks, "--signature-only"])
        #expect(sigOnly.out.contains("claims: not checked"))
    }

    @Test("a key set over plain http is refused unless --allow-insecure-http is given")
    func plainHTTP() async throws {
        let f = try await Fixture()
        defer { withExtendedLifetime(f) {} }
        let token = f.token
        // Nothing listens on port 9 here: only an attempted fetch can fail with another error.
        let url = "http://127.0.0.1:9/jwks.json"
        let refused = try authledger(["token", "verify", token, "--jwks", url])
        #expect(refused.status == 1)
        #expect(refused.err.contains("refusing to fetch the key set over plain http") && refused.err.contains("--allow-insecure-http"), "\(refused.err)")
        let allowed = try authledger(["token", "verify", token, "--jwks", url, "--allow-insecure-http"])
        #expect(allowed.status != 0 && !allowed.err.contains("refusing"), "\(allowed.err)")
    }

    @Test("- reads the token from standard input")
    func tokenFromStandardInput() async throws {
        let f = try await Fixture()
        defer { withExtendedLifetime(f) {} }
        let (token, jwks) = (f.token, f.jwks)
        let r = try authledger(["token", "verify", "-", "--jwks", jwks, "--signature-only"], stdin: token + "\n")
        #expect(r.status == 0 && r.out.contains("signature: ok (ES256"), "\(r.out)\(r.err)")
        let inspect = try authledger(["token", "inspect", "-"], stdin: token)
        #expect(inspect.status == 0 && inspect.out.contains("\"sub\":\"alice\""))
        let empty = try authledger(["token", "verify", "-", "--jwks", jwks], stdin: "")
        #expect(empty.status == 1 && empty.err.contains("no token on standard input"))
    }

    @Test("header values chosen by the token's author are escaped in error messages")
    func escapedHeaderValues() async throws {
        let f = try await Fixture()
        defer { withExtendedLifetime(f) {} }
        let jwks = f.jwks
        let header = #"{"alg":"ES256","kid":"evil\u001b[2J\n\"x\u00e9"}"#
        let token = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(#"{"sub":"a"}"#.utf8)) + ".AAAA"
        for arguments in [["--signature-only"], ["--issuer", "authledger", "--audience", "api"]] {
            let r = try authledger(["token", "verify", token, "--jwks", jwks] + arguments)
            #expect(r.status == 1)
            #expect(r.out.contains(#"no key with kid "evil\u001b[2J\u000a\u0022x\u00e9""#), "\(r.out)")
            #expect(!r.out.contains("\u{1b}") && !r.out.contains("é"))
        }
        let wrongAlg = #"{"alg":"HS256\r\nforged: yes","typ":"JWT"}"#
        let r = try authledger(["token", "verify", Base64URL.encode(Array(wrongAlg.utf8)) + ".e30.AAAA", "--jwks", jwks, "--signature-only"])
        #expect(!r.out.contains("\r") && !r.out.contains("\nforged"), "\(r.out)")
    }
}
