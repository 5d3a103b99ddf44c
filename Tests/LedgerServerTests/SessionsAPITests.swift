import HTTPTypes
import HummingbirdTesting
import LedgerCodec
import LedgerEngine
@testable import LedgerServer
import LedgerTokens
import Testing

@Suite("Sessions API, in process")
struct SessionsAPITests {
    @Test("log in, refresh, list, log out: the refreshed token is refused afterwards")
    func loginRefreshLogout() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let login = try await client.login(fixture)
            let session = login.string("session")
            #expect(login["session_info"]?.objectValue?["device_label"]?.stringValue == "iPhone")
            #expect(try engine.verifyAccessToken(login.string("access_token")).subject == "alice")

            let refreshed = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(login.string("refresh_token"))"}"#)
            #expect(refreshed.status == .ok)
            #expect(refreshed.headers[.cacheControl] == "no-store")
            let next = try refreshed.object()
            #expect(next.string("session") == session)
            #expect(next.string("refresh_token") != login.string("refresh_token"))

            let list = try await client.send(.get, "/v1/users/alice/sessions?current=\(session)", key: fixture.key(.sessionsRead))
            let sessions = try #require(try list.object()["sessions"]?.arrayValue)
            #expect(sessions.count == 1)
            #expect(sessions.first?.objectValue?["current"] == .bool(true))
            #expect(sessions.first?.objectValue?["user_agent"]?.stringValue == "Safari/17")

            let out = try await client.send(.delete, "/v1/users/alice/sessions/\(session)", key: fixture.key(.sessionsWrite))
            #expect(out.status == .noContent)
            let again = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(next.string("refresh_token"))"}"#)
            try again.expectProblem(.unauthorized, "session-revoked")
            #expect(!again.text.contains(next.string("refresh_token")))
            #expect(engine.isRevoked(session: SessionID(hex: session)!))
            // Ending it again: no longer a live session of alice's, so 404, and nothing appended.
            let position = engine.statistics.position
            try await client.send(.delete, "/v1/users/alice/sessions/\(session)", key: fixture.key(.sessionsWrite))
                .expectProblem(.notFound, "session-not-found")
            #expect(engine.statistics.position == position)
        }
    }

    @Test("log out all but the current session, as after a password change")
    func logoutAllButCurrent() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let phone = try await client.login(fixture, label: "iPhone")
            _ = try await client.login(fixture, label: "Laptop")
            _ = try await client.login(fixture, label: "iPad")
            let r = try await client.send(.delete, "/v1/users/alice/sessions?except=\(phone.string("session"))", key: fixture.key(.sessionsWrite))
            #expect(r.status == .noContent)
            #expect(engine.activeSessions(user: "alice").map(\.id.description) == [phone.string("session")])
            let all = try await client.send(.delete, "/v1/users/alice/sessions", key: fixture.key(.sessionsWrite))
            #expect(all.status == .noContent)
            #expect(engine.activeSessions(user: "alice").isEmpty)
        }
    }

    @Test("ban refuses logins until unban; admin revoke ends a session")
    func banAndRevoke() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let s = try await client.login(fixture, user: "mallory")
            let revoke = try await client.send(.post, "/v1/users/mallory/sessions/\(s.string("session"))/revoke", key: fixture.key(.admin))
            #expect(revoke.status == .noContent)
            #expect(engine.isRevoked(session: SessionID(hex: s.string("session"))!))
            let ban = try await client.send(.put, "/v1/users/mallory/ban", key: fixture.key(.admin), json: #"{"reason":"fraud"}"#)
            #expect(ban.status == .noContent)
            let refused = try await client.send(.post, "/v1/sessions", key: fixture.key(.sessionsWrite),
                                                json: #"{"user":"mallory","device_label":"Phone"}"#)
            try refused.expectProblem(.forbidden, "user-banned")
            let unban = try await client.send(.delete, "/v1/users/mallory/ban", key: fixture.key(.admin))
            #expect(unban.status == .noContent)
            _ = try await client.login(fixture, user: "mallory")
        }
    }

    @Test("forget (admin only) ends the user's sessions, erases their fields and retires the id")
    func forget() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let s = try await client.login(fixture, user: "gina", label: "Gina's Pixel")
            let before = try await client.send(.get, "/v1/users/gina/history", key: fixture.key(.sessionsRead))
            #expect(before.text.contains("Gina's Pixel"))
            let denied = try await client.send(.post, "/v1/users/gina/forget", key: fixture.key(.sessionsWrite))
            try denied.expectProblem(.forbidden, "forbidden")
            let forgot = try await client.send(.post, "/v1/users/gina/forget", key: fixture.key(.admin))
            #expect(forgot.status == .noContent)
            #expect(engine.isRevoked(session: SessionID(hex: s.string("session"))!))
            let refused = try await client.send(.post, "/v1/sessions", key: fixture.key(.sessionsWrite),
                                                json: #"{"user":"gina","device_label":"Phone"}"#)
            try refused.expectProblem(.forbidden, "user-forgotten")
            let history = try await client.send(.get, "/v1/users/gina/history", key: fixture.key(.sessionsRead))
            #expect(history.status == .ok)
            #expect(!history.text.contains("Gina's Pixel") && history.text.contains("erased"))
        }
    }

    @Test("history pages by position: next is where the following page starts")
    func historyPaging() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, _ in
            var refresh = try await client.login(fixture).string("refresh_token")
            for _ in 0..<4 {
                let r = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(refresh)"}"#)
                refresh = try r.object().string("refresh_token")
            }
            var positions: [Int64] = []
            var from: Int64? = 1
            while let start = from {
                let page = try await client.send(.get, "/v1/users/alice/history?from=\(start)&limit=2", key: fixture.key(.sessionsRead)).object()
                positions += page["events"]?.arrayValue?.compactMap { $0.objectValue?["position"]?.integerValue } ?? []
                from = page["next"]?.integerValue
            }
            #expect(positions.count == 5)
            #expect(positions == positions.sorted() && Set(positions).count == 5)
            let bad = try await client.send(.get, "/v1/users/alice/history?limit=0", key: fixture.key(.sessionsRead))
            try bad.expectProblem(.badRequest, "invalid-request")
        }
    }

    @Test("refreshing with the same token after its successor was used revokes the session (reuse)")
    func reuse() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, _ in
            let first = try await client.login(fixture).string("refresh_token")
            let second = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(first)"}"#).object().string("refresh_token")
            fixture.clock.advance(seconds: 5)
            _ = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(second)"}"#)
            fixture.clock.advance(seconds: 60)
            let stolen = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(first)"}"#)
            try stolen.expectProblem(.unauthorized, "refresh-token-reused")
        }
    }
}
