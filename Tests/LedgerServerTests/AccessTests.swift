import HTTPTypes
import HummingbirdTesting
import LedgerCodec
import LedgerEngine
@testable import LedgerServer
import LedgerTokens
import Testing

@Suite("Who may call what")
struct AccessTests {
    @Test("no key or an unknown, malformed or revoked key: 401; a key without the scope: 403; admin may do all")
    func scopes() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, _ in
            try await client.send(.get, "/v1/users/alice/sessions").expectProblem(.unauthorized, "unauthorized")
            let forged = "alk_0123456789abcdef_" + String(repeating: "A", count: 43)
            try await client.send(.get, "/v1/users/alice/sessions", key: forged).expectProblem(.unauthorized, "unauthorized")
            try await client.send(.get, "/v1/users/alice/sessions", key: "nonsense").expectProblem(.unauthorized, "unauthorized")
            try await client.send(.get, "/v1/users/alice/sessions", key: fixture.revokedKey).expectProblem(.unauthorized, "unauthorized")
            let tampered = String(fixture.key(.admin).dropLast()) + (fixture.key(.admin).hasSuffix("A") ? "B" : "A")
            try await client.send(.get, "/v1/users/alice/sessions", key: tampered).expectProblem(.unauthorized, "unauthorized")

            try await client.send(.get, "/v1/users/alice/sessions", key: fixture.key(.sessionsWrite)).expectProblem(.forbidden, "forbidden")
            try await client.send(.get, "/v1/revocations", key: fixture.key(.sessionsRead)).expectProblem(.forbidden, "forbidden")
            try await client.send(.put, "/v1/users/bob/ban", key: fixture.key(.sessionsWrite), json: #"{"reason":"x"}"#)
                .expectProblem(.forbidden, "forbidden")
            try await client.send(.post, "/v1/sessions", key: fixture.key(.eventsRead), json: #"{"user":"a","device_label":"d"}"#)
                .expectProblem(.forbidden, "forbidden")

            #expect(try await client.send(.get, "/v1/users/alice/sessions", key: fixture.key(.sessionsRead)).status == .ok)
            #expect(try await client.send(.get, "/v1/users/alice/sessions", key: fixture.key(.admin)).status == .ok)
            #expect(try await client.send(.get, "/v1/revocations", key: fixture.key(.eventsRead)).status == .ok)
        }
    }

    @Test("a problem document never echoes the key or the token it refused")
    func noEcho() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, _ in
            let key = "alk_0123456789abcdef_" + String(repeating: "Q", count: 43)
            let r = try await client.send(.get, "/v1/users/alice/sessions", key: key)
            #expect(!r.text.contains("QQQQ"))
            let token = "alr1_" + String(repeating: "Z", count: 60)
            let t = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(token)"}"#)
            try t.expectProblem(.unauthorized, "invalid-refresh-token")
            #expect(!t.text.contains("ZZZZ"))
        }
    }

    @Test("one user's session id cannot end, revoke or keep another user's session")
    func ownership() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let alice = try await client.login(fixture, user: "alice").string("session")
            _ = try await client.login(fixture, user: "bob")
            let position = engine.statistics.position
            try await client.send(.delete, "/v1/users/bob/sessions/\(alice)", key: fixture.key(.sessionsWrite)).expectProblem(.notFound, "session-not-found")
            try await client.send(.post, "/v1/users/bob/sessions/\(alice)/revoke", key: fixture.key(.admin)).expectProblem(.notFound, "session-not-found")
            try await client.send(.delete, "/v1/users/bob/sessions?except=\(alice)", key: fixture.key(.sessionsWrite)).expectProblem(.notFound, "session-not-found")
            try await client.send(.delete, "/v1/users/bob/sessions/not-a-session", key: fixture.key(.sessionsWrite)).expectProblem(.notFound, "session-not-found")
            #expect(engine.statistics.position == position)
            #expect(engine.session(SessionID(hex: alice)!) != nil)
        }
    }

    @Test("API keys created over HTTP work at once; revoked ones stop at once; listings hold no secret")
    func apiKeysOverHTTP() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let created = try await client.send(.post, "/v1/apikeys", key: fixture.key(.admin), json: #"{"label":"edge","scopes":["events:read"]}"#)
            #expect(created.status == .created)
            let o = try created.object()
            let secret = o.string("key"), id = o.string("key_id")
            #expect(try await client.send(.get, "/v1/revocations", key: secret).status == .ok)
            let list = try await client.send(.get, "/v1/apikeys", key: fixture.key(.admin))
            #expect(list.text.contains(id) && !list.text.contains(String(secret.suffix(43))))
            #expect(try await client.send(.delete, "/v1/apikeys/\(id)", key: fixture.key(.admin)).status == .noContent)
            try await client.send(.get, "/v1/revocations", key: secret).expectProblem(.unauthorized, "unauthorized")
            try await client.send(.post, "/v1/apikeys", key: fixture.key(.admin), json: #"{"label":"x","scopes":["root"]}"#)
                .expectProblem(.badRequest, "invalid-request")
            // The log holds the hash, never the secret.
            let events = try engine.log.read(from: 1, limit: 1000).map { try LoggedEvent($0) }
            #expect(!events.map(\.jsonLine).joined().contains(String(secret.suffix(43))))
        }
    }
}
