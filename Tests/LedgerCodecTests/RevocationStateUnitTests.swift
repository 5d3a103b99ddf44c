import LedgerCodec
import LedgerCrypto
import Testing

@Suite("RevocationState")
struct RevocationStateUnitTests {
    let a = SessionID(high: 1, low: 1), b = SessionID(high: 2, low: 2), c = SessionID(high: 3, low: 3)
    let t0 = Timestamp(seconds: 1_767_225_600)

    @Test("schema 2 ending events refuse each named session until its time, to the microsecond")
    func appliesEndingEvents() {
        var s = RevocationState()
        let h = SHA256.hash([1])
        s.apply(.sessionEnded(SessionEnded(session: a, refuseUntil: t0.adding(seconds: 10))), position: 5, chainHash: h)
        s.apply(.sessionRevoked(SessionRevoked(session: b, reason: .admin, actor: "x", refuseUntil: t0.adding(seconds: 20))), position: 6, chainHash: h)
        s.apply(.userSessionsRevoked(UserSessionsRevoked(except: nil, reason: .ban, actor: "x",
                                                          sessions: [EndedSession(session: c, refuseUntil: t0.adding(seconds: 30))])), position: 7, chainHash: h)
        #expect(s.position == 7 && s.chainHash == h)
        #expect(s.refuses(a, at: t0.adding(seconds: 10).adding(microseconds: -1)))
        #expect(!s.refuses(a, at: t0.adding(seconds: 10)))
        #expect(s.refuses(c, at: t0.adding(seconds: 29)) && !s.refuses(c, at: t0.adding(seconds: 30)))
        #expect(s.refused(at: t0.adding(seconds: 15)).keys.sorted() == [b, c])
    }

    @Test("schema 1 events and every other event only advance the position")
    func ignoresOthers() {
        var s = RevocationState()
        s.apply(.sessionEnded(SessionEnded(session: a)), position: 1, chainHash: .zero)
        s.apply(.userSessionsRevoked(UserSessionsRevoked(except: nil, reason: .logoutAll, actor: "u")), position: 2, chainHash: .zero)
        s.apply(.refreshRotated(RefreshRotated(session: a, generation: 2, ip: .unknown)), position: 3, chainHash: .zero)
        #expect(s.count == 0 && s.position == 3)
    }

    @Test("pruning never changes an answer, and forgets what has passed")
    func pruning() {
        var s = RevocationState(entries: [(a, t0.adding(seconds: 5)), (b, t0.adding(seconds: 50)), (a, t0.adding(seconds: 7))])
        let before = s.refused(at: t0.adding(seconds: 6))
        s.prune(before: t0.adding(seconds: 6))
        #expect(s.refused(at: t0.adding(seconds: 6)) == before)
        #expect(s.refuses(a, at: t0.adding(seconds: 6)))   // raised to 7 s by the later entry
        s.prune(before: t0.adding(seconds: 60))
        #expect(s.count == 0)
    }

    @Test("schema 2 ending events round-trip through their encoding; schema 1 still decodes")
    func coding() throws {
        let events: [AuthEvent] = [
            .sessionEnded(SessionEnded(session: a, refuseUntil: t0)),
            .sessionRevoked(SessionRevoked(session: b, reason: .reuseDetected, actor: "system", refuseUntil: t0.adding(seconds: 1))),
            .userSessionsRevoked(UserSessionsRevoked(except: c, reason: .passwordChange, actor: "user",
                                                     sessions: [EndedSession(session: a, refuseUntil: t0), EndedSession(session: b, refuseUntil: t0.adding(seconds: 2))])),
            .userSessionsRevoked(UserSessionsRevoked(except: nil, reason: .ban, actor: "admin", sessions: [])),
            .sessionEnded(SessionEnded(session: a)),
            .userSessionsRevoked(UserSessionsRevoked(except: nil, reason: .logoutAll, actor: "user")),
        ]
        for e in events {
            let decoded = try AuthEvent.decode(type: e.type.rawValue, schemaVersion: e.schemaVersion, payload: e.encodePayload())
            #expect(decoded == e)
        }
        #expect(events.map(\.schemaVersion) == [2, 2, 2, 2, 1, 1])
    }
}
