import Foundation
import Hummingbird
import HummingbirdTesting
import LedgerEdge
@testable import LedgerEdgeHummingbird
import LedgerTokens
import NIOCore
import Testing

@Suite("Hummingbird middleware", .serialized)
struct MiddlewareTests {
    func app(_ verifier: EdgeVerifier) -> some ApplicationProtocol {
        let router = Router(context: EdgeRequestContext.self)
        router.group("me").add(middleware: EdgeAuthenticationMiddleware(verifier: verifier)).get { _, context in
            let id = try context.requireIdentity()
            return "\(id.user) \(id.session) \(id.custom["role"]?.stringValue ?? "-")"
        }
        return Application(router: router)
    }

    @Test("a verified token reaches the handler with its claims; none, a bad one and a revoked one answer 401 per RFC 6750; a verifier behind answers 503")
    func answers() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        var configuration = EdgeConfiguration(server: server.base, apiKey: server.key, policy: VerificationPolicy(issuer: "authledger", audience: "api"))
        configuration.failure = .failClosed(after: .seconds(2))
        configuration.reconnect = Backoff(initial: .milliseconds(20), maximum: .milliseconds(200))
        let verifier = EdgeVerifier(configuration: configuration)
        let task = Task { _ = try? await verifier.run() }
        defer { task.cancel() }
        // Generous: two shared cores may be busy with whole builds.
        #expect(await verifier.waitUntilReady(timeout: .seconds(60)))
        let (token, session) = try await server.login("alice", claims: #"{"role":"admin"}"#)
        try await app(verifier).test(.router) { client in
            try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == "alice \(session) admin")
            }
            try await client.execute(uri: "/me", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate] == #"Bearer realm="authledger""#)
            }
            try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer not.a.token"]) { r in
                #expect(r.status == .unauthorized)
                let challenge = r.headers[.wwwAuthenticate] ?? ""
                #expect(challenge.hasPrefix(#"Bearer realm="authledger", error="invalid_token", error_description=""#), "\(challenge)")
            }
            try await server.revoke("alice", session)
            var challenge: String?
            for _ in 0..<3000 where challenge == nil {
                challenge = try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer \(token)"]) { r in
                    r.status == .unauthorized ? r.headers[.wwwAuthenticate] : nil
                }
                if challenge == nil { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(challenge?.contains(#"error_description="the session was ended or revoked""#) == true, "\(challenge ?? "never refused")")
            let (fresh, _) = try await server.login("bob")
            try server.stop()
            try await Task.sleep(for: .seconds(3))
            try await client.execute(uri: "/me", method: .get, headers: [.authorization: "Bearer \(fresh)"]) { r in
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "1")
                #expect(r.headers[.wwwAuthenticate] == nil)
            }
        }
    }

    @Test("error_description holds only the characters RFC 6750 allows")
    func quotable() {
        let cleaned = EdgeAuthenticationMiddleware<EdgeRequestContext>.quotable("kid \"x\\y\" é\n")
        #expect(cleaned == "kid 'x/y' ??")
        #expect(cleaned.unicodeScalars.allSatisfy { (0x20...0x7E).contains($0.value) && $0 != "\"" && $0 != "\\" })
    }

    @Test("the bearer scheme is case-insensitive; other schemes carry no token")
    func bearer() {
        typealias M = EdgeAuthenticationMiddleware<EdgeRequestContext>
        #expect(M.bearerToken("Bearer abc") == "abc")
        #expect(M.bearerToken("bearer  abc") == "abc")
        #expect(M.bearerToken("Basic abc") == nil)
        #expect(M.bearerToken("Bearer ") == nil)
        #expect(M.bearerToken(nil) == nil)
    }
}
