import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerLog
import LedgerTesting
import Testing

/// The format rules as the engine lives them: annotations skipped, unknown types refused,
/// time that never goes backwards.
@Suite("Format rules in the engine")
struct FormatRuleEngineTests {
    @Test("an annotation of an unknown type is skipped by replay, history and snapshots; the state is unchanged")
    func annotationsAreSkipped() async throws {
        let f = EngineFixture()
        var digest = SHA256Digest.zero
        do {
            let engine = try await f.open()
            _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
            try await engine.log.append([PendingEvent(type: 200, schemaVersion: 9, user: "alice", payload: [1, 2, 3]),
                                         PendingEvent(type: 254, schemaVersion: 1, user: nil, payload: [])])
            _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop))
            #expect(try engine.history(user: "alice").count == 3)   // two logins and a new-device flag
            digest = engine.projectionDigest
            try await engine.shutdown()
        }
        for fromSnapshot in [false, true] {
            var c = f.configuration
            c.startFromSnapshot = fromSnapshot
            let reopened = try await AuthEngine.open(dataDirectory: f.dir.path, configuration: c)
            #expect(reopened.projectionDigest == digest)
            #expect(reopened.activeSessions(user: "alice").count == 2)
        }
    }

    @Test("any other unknown type stops replay with an error naming its position")
    func unknownTypesAreRefused() async throws {
        let f = EngineFixture { $0.startFromSnapshot = false }
        do {
            let engine = try await f.open()
            _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
            try await engine.log.append([PendingEvent(type: 100, schemaVersion: 1, user: "alice", payload: [])])
        }
        await #expect { _ = try await f.open() } throws: { "\($0)".contains("unknown type 100") }
    }

    @Test("a clock stepped back: events are applied at the time the log recorded, so a rebuild agrees")
    func clockSteppedBack() async throws {
        let f = EngineFixture()
        var digest = SHA256Digest.zero
        do {
            let engine = try await f.open()
            let (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
            f.clock.advance(microseconds: -3_600_000_000)
            let next = try await engine.refresh(t.refreshToken)
            try await engine.logout(session: next.session)
            let times = try EngineFixture.events(engine).map(\.timestamp)
            #expect(times == times.sorted())
            digest = engine.projectionDigest
        }
        var c = f.configuration
        c.startFromSnapshot = false
        #expect(try await AuthEngine.open(dataDirectory: f.dir.path, configuration: c).projectionDigest == digest)
    }
}
