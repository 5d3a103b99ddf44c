@testable import LedgerEdge
import LedgerCodec
import Testing

@Suite("Edge parts, without a server")
struct PartsTests {
    @Test("the event-stream parser: LF, CRLF and CR endings, comments, multi-line data, events split across chunks")
    func parser() throws {
        var p = ServerSentEventParser()
        let text = ": comment\nid: 7\nevent: session.revoked\ndata: {\"a\":1}\n\nid: 8\r\nevent: heartbeat\r\ndata: x\r\ndata: y\r\n\r\nid: 9\revent: e\rdata:z\r\r"
        var events: [ServerSentEvent] = []
        // One byte at a time: no event may depend on how the bytes were chunked.
        for b in Array(text.utf8) { events += try p.feed([b]) }
        #expect(events == [
            ServerSentEvent(type: "session.revoked", id: "7", data: "{\"a\":1}"),
            ServerSentEvent(type: "heartbeat", id: "8", data: "x\ny"),
            ServerSentEvent(type: "e", id: "9", data: "z"),
        ])
        #expect(p.lastEventID == "9")
        var whole = ServerSentEventParser()
        #expect(try whole.feed(Array(text.utf8)) == events)
    }

    @Test("backoff doubles up to the cap, with jitter taking off at most its share")
    func backoff() {
        let b = Backoff(initial: .milliseconds(100), maximum: .seconds(1), jitter: 0.5)
        #expect(b.delay(attempt: 0, unit: 0) == .milliseconds(100))
        #expect(b.delay(attempt: 1, unit: 0) == .milliseconds(200))
        #expect(b.delay(attempt: 3, unit: 0) == .milliseconds(800))
        #expect(b.delay(attempt: 4, unit: 0) == .seconds(1))
        #expect(b.delay(attempt: 60, unit: 0) == .seconds(1))
        #expect(b.delay(attempt: 2, unit: 0.999) > .milliseconds(200))
        #expect(b.delay(attempt: 2, unit: 0.999) <= .milliseconds(400))
    }

    @Test("ending events name their sessions with refuse-until times; others end none")
    func streamEvents() throws {
        let s1 = "0123456789abcdef0123456789abcdef", s2 = "fedcba9876543210fedcba9876543210"
        let t = "2026-11-29T09:00:00.000000Z"
        let revoked = try StreamEvent.endedSessions(in: #"{"type":"session.revoked","session":"\#(s1)","refuse_until":"\#(t)","reason":"admin"}"#)
        #expect(revoked.map(\.0) == [SessionID(hex: s1)!] && revoked.map(\.1) == [Timestamp(t)!])
        let all = try StreamEvent.endedSessions(in: #"{"type":"user.sessions_revoked","sessions":[{"session":"\#(s1)","refuse_until":"\#(t)"},{"session":"\#(s2)","refuse_until":"\#(t)"}]}"#)
        #expect(all.map(\.0) == [SessionID(hex: s1)!, SessionID(hex: s2)!])
        #expect(try StreamEvent.endedSessions(in: #"{"type":"session.ended","session":"\#(s1)"}"#).isEmpty)
        #expect(try StreamEvent.endedSessions(in: #"{"type":"user.banned","user":"x"}"#).isEmpty)
        #expect(throws: EdgeError.self) { try StreamEvent.endedSessions(in: "not json") }
        #expect(throws: EdgeError.self) { try StreamEvent.endedSessions(in: #"{"type":"session.revoked","session":"zz","refuse_until":"\#(t)"}"#) }
    }

    @Test("Cache-Control: max-age sets the key set's lifetime; no-store and no-cache mean none")
    func maxAge() {
        #expect(ServerCalls.maxAge(["public, max-age=60"]) == .seconds(60))
        #expect(ServerCalls.maxAge(["no-store"]) == .zero)
        #expect(ServerCalls.maxAge(["public"]) == nil)
        #expect(ServerCalls.maxAge([]) == nil)
    }
}
