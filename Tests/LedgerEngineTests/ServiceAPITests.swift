import Foundation
import LedgerCodec
import LedgerEngine
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

@Suite("API a service uses")
struct ServiceAPITests {
    @Test("history pages by position: every event once, in order, with the next position to ask for")
    func historyPages() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        var t = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone)).tokens
        for _ in 0..<20 {
            _ = try await engine.login(LoginRequest(user: "bob", device: EngineFixture.phone))
            t = try await engine.refresh(t.refreshToken)
        }
        let all = try engine.history(user: "alice")
        var paged: [LoggedEvent] = []
        var from: UInt64? = 1
        while let start = from {
            let page = try engine.history(user: "alice", from: start, limit: 6)
            #expect(page.events.count <= 6)
            paged += page.events
            from = page.next
        }
        #expect(paged == all)
        #expect(all.count == 21)
    }

    @Test("introspecting a refresh token gives its session, generation and status; a forgery gives nothing")
    func introspection() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let t2 = try await engine.refresh(t1.refreshToken)
        let now = try #require(engine.introspect(refreshToken: t2.refreshToken))
        #expect(now.session == t1.session && now.generation == 2 && now.status == .current && now.isActive)
        #expect(now.info?.user == "alice")
        let old = try #require(engine.introspect(refreshToken: t1.refreshToken))
        #expect(old.status == .withinGrace && old.isActive)
        f.clock.advance(seconds: 31)
        #expect(engine.introspect(refreshToken: t1.refreshToken)?.isActive == false)
        var forged = Array(t2.refreshToken)
        forged[forged.count - 4] = forged[forged.count - 4] == "A" ? "B" : "A"
        #expect(engine.introspect(refreshToken: String(forged)) == nil)
    }

    @Test("session info and tokens encode as JSON with identifiers in their text forms")
    func codable() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t, info) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let decodedInfo = try JSONDecoder().decode(SessionInfo.self, from: try JSONEncoder().encode(info))
        #expect(decodedInfo == info)
        let decodedTokens = try JSONDecoder().decode(SessionTokens.self, from: try JSONEncoder().encode(t))
        #expect(decodedTokens == t)
        let json = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(info)) as? [String: Any])
        #expect(json["id"] as? String == t.session.description)
        #expect(json["ip"] as? String == "198.51.100.7")
    }
}

@Suite("Events in JSON documents")
struct EventJSONTests {
    @Test("an event encodes through Codable as its JSON form, schema 2 fields included")
    func encodable() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        try await engine.logoutAll(user: "alice")
        let event = try #require(try engine.history(user: "alice").last)
        let data = try JSONEncoder().encode(LoggedEventJSON(event))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["type"] as? String == "user.sessions_revoked")
        let sessions = try #require(object["sessions"] as? [[String: Any]])
        #expect(sessions.first?["session"] as? String == t.session.description)
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == event.json)
    }
}
