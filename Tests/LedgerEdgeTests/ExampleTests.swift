import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerTesting
import Testing

@Suite("edge-example beside authledger serve", .serialized)
struct ExampleTests {
    static var binary: URL { AuthLedgerProcess.binary.deletingLastPathComponent().appendingPathComponent("edge-example") }

    @Test("the example service answers a token's user, and 401 with an RFC 6750 challenge once the session is revoked; it links no LMDB")
    func example() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let p = try ChildProcess(Self.binary.path, environment: ["AUTHLEDGER_URL": server.base, "AUTHLEDGER_KEY": server.key, "EDGE_PORT": "0"])
        let text = p.nextLine(timeout: 60) ?? ""
        let base = try #require(text.range(of: "http://").map { String(text[$0.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines) },
                                "edge-example printed no address: \(p.errorOutput.suffix(2000))")
        func hello(_ token: String?) async throws -> (Int, String, String?) {
            var request = URLRequest(url: URL(string: base + "/hello")!)
            if let token { request.setValue("Bearer " + token, forHTTPHeaderField: "Authorization") }
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as! HTTPURLResponse
            return (http.statusCode, String(decoding: data, as: UTF8.self), http.value(forHTTPHeaderField: "WWW-Authenticate"))
        }
        let bob = try await server.login("bob")
        var answer = try await hello(bob.token)
        for _ in 0..<600 where answer.0 != 200 {
            // The example starts accepting before its verifier has loaded the state (it fails closed meanwhile).
            try await Task.sleep(for: .milliseconds(50))
            answer = try await hello(bob.token)
        }
        #expect(answer.0 == 200 && answer.1 == "hello bob, session \(bob.session)\n", "\(answer)")
        #expect(try await hello(nil).2 == #"Bearer realm="authledger""#)
        try await server.revoke("bob", bob.session)
        for _ in 0..<3000 {
            answer = try await hello(bob.token)
            if answer.0 != 200 { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(answer.0 == 401)
        #expect(answer.2?.contains(#"error="invalid_token""#) == true)

        let libraries = try ChildProcess.run("/usr/bin/ldd", [Self.binary.path]).output
        #expect(libraries.contains("libcrypto") && !libraries.contains("lmdb"), "\(libraries)")
    }
}
