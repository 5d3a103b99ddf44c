import HTTPTypes
import HummingbirdTesting
import LedgerCodec
import LedgerEngine
@testable import LedgerServer
import LedgerTokens
import NIOCore
import Testing

@Suite("Event stream, in process")
struct EventStreamTests {
    @Test("ids are positions; the default filter is the revocation types; a final heartbeat carries `until`")
    func defaultFilter() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let s = try await client.login(fixture)
            _ = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(s.string("refresh_token"))"}"#)
            _ = try await client.send(.delete, "/v1/users/alice/sessions/\(s.string("session"))", key: fixture.key(.sessionsWrite))
            _ = try await client.login(fixture)
            let head = engine.statistics.position
            let r = try await client.send(.get, "/v1/events?from=1&until=\(head)", key: fixture.key(.eventsRead))
            #expect(r.headers[.contentType] == "text/event-stream")
            let events = parseSSE(r.text)
            let ended = events.filter { $0.event == "session.ended" }
            #expect(ended.count == 1)
            #expect(ended.first?.data.contains(s.string("session")) == true)
            #expect(events.filter { $0.event != "heartbeat" }.allSatisfy { AuthEngine.revocationTypes.map(\.description).contains($0.event) })
            #expect(events.last?.event == "heartbeat" && events.last?.id == head)
        }
    }

    @Test("types=all streams every event from `from`; Last-Event-ID wins over from; unknown types are 400")
    func allTypesAndResume() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            _ = try await client.login(fixture)
            let head = engine.statistics.position
            let all = parseSSE(try await client.send(.get, "/v1/events?from=1&types=all&until=\(head)", key: fixture.key(.eventsRead)).text)
            #expect(all.map(\.id) == Array(1...head))
            var h: HTTPFields = [:]
            h[HTTPField.Name("Last-Event-ID")!] = String(head - 2)
            let resumed = parseSSE(try await client.send(.get, "/v1/events?from=1&types=all&until=\(head)", key: fixture.key(.eventsRead), headers: h).text)
            #expect(resumed.map(\.id) == [head - 1, head])
            try await client.send(.get, "/v1/events?types=session.nope", key: fixture.key(.eventsRead)).expectProblem(.badRequest, "invalid-request")
            try await client.send(.get, "/v1/events?from=abc", key: fixture.key(.eventsRead)).expectProblem(.badRequest, "invalid-request")
            try await client.send(.get, "/v1/events", key: fixture.key(.sessionsRead)).expectProblem(.forbidden, "forbidden")
        }
    }

    @Test("a position past the head (a log restored from an older backup) is 409 position-unknown, not a silent wait; the head itself is fine")
    func positionUnknown() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            _ = try await client.login(fixture)
            let head = engine.statistics.position
            var h: HTTPFields = [:]
            h[HTTPField.Name("Last-Event-ID")!] = String(head + 1)
            try await client.send(.get, "/v1/events", key: fixture.key(.eventsRead), headers: h).expectProblem(.conflict, "position-unknown")
            try await client.send(.get, "/v1/events?from=\(head + 2)", key: fixture.key(.eventsRead)).expectProblem(.conflict, "position-unknown")
            h[HTTPField.Name("Last-Event-ID")!] = String(head)
            let atHead = try await client.send(.get, "/v1/events?until=\(head)", key: fixture.key(.eventsRead), headers: h)
            #expect(atHead.status == .ok)
        }
    }

    @Test("the revocation state names the revoked sessions with refuse-until times, at a position with its chain hash")
    func revocationState() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let s = try await client.login(fixture)
            _ = try await client.send(.post, "/v1/users/alice/sessions/\(s.string("session"))/revoke", key: fixture.key(.admin))
            let state = try await client.send(.get, "/v1/revocations", key: fixture.key(.eventsRead)).object()
            #expect(state["position"]?.integerValue == Int64(engine.statistics.position))
            #expect(state.string("chain_hash") == engine.revocationState().chainHash.description)
            let revoked = state["revoked"]?.arrayValue?.compactMap { $0.objectValue } ?? []
            #expect(revoked.map { $0.string("session") } == [s.string("session")])
            #expect(!revoked[0].string("refuse_until").isEmpty)
        }
    }
}
