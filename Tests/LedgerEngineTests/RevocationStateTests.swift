import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import Testing

/// The follower contract: the revocation state the engine hands out for a position, plus
/// the events after it, gives exactly the revoked set the engine has.
@Suite("Revocation state and followers")
struct RevocationStateTests {
    static let endingTypes: Set<EventType> = [.sessionEnded, .sessionRevoked, .userSessionsRevoked]

    /// A random history step against `engine`; sessions are remembered in `sessions`.
    static func step(_ engine: AuthEngine, _ clock: ManualClock, _ rng: inout SeededGenerator,
                     _ sessions: inout [(id: SessionID, user: String, refresh: [String])]) async {
        let users = ["ann", "ben", "cy", "Jos\u{E9}", "Jose\u{301}"]
        switch Int.random(in: 0..<100, using: &rng) {
        case 0..<25:
            clock.advance(microseconds: Int64.random(in: 1...(Bool.random(using: &rng) ? 999_999 : 400_000_000), using: &rng))
        case 25..<45:
            let user = users.randomElement(using: &rng)!
            if let (t, _) = try? await engine.login(LoginRequest(user: user, device: Device(label: "d\(Int.random(in: 0..<3, using: &rng))"))) {
                sessions.append((t.session, user, [t.refreshToken]))
            }
        case 45..<65 where !sessions.isEmpty:
            let i = Int.random(in: 0..<sessions.count, using: &rng)
            // Mostly the newest token; sometimes an older one (a reuse that revokes).
            let token = Bool.random(using: &rng) || sessions[i].refresh.count == 1 ? sessions[i].refresh.last! : sessions[i].refresh.first!
            if let next = try? await engine.refresh(token) { sessions[i].refresh.append(next.refreshToken) }
        case 65..<75 where !sessions.isEmpty:
            try? await engine.logout(session: sessions.randomElement(using: &rng)!.id)
        case 75..<82 where !sessions.isEmpty:
            try? await engine.revoke(session: sessions.randomElement(using: &rng)!.id, actor: "admin")
        case 82..<90:
            let except = Bool.random(using: &rng) ? sessions.randomElement(using: &rng)?.id : nil
            try? await engine.logoutAll(user: users.randomElement(using: &rng)!, except: except)
        case 90..<95:
            try? await engine.ban(user: users.randomElement(using: &rng)!, actor: "admin", reason: "r")
        default:
            try? await engine.unban(user: users.randomElement(using: &rng)!, actor: "admin")
        }
    }

    /// The ending events after `position`, as a follower filtering the stream would see them.
    static func events(after position: UInt64, in engine: AuthEngine) throws -> [LoggedEvent] {
        var out: [LoggedEvent] = []
        try engine.log.scan(from: position + 1) { view in
            if let type = EventType(rawValue: view.type), endingTypes.contains(type) { out.append(try LoggedEvent(view: view)) }
            return true
        }
        return out
    }

    @Test("for random histories, the state at P plus the events after P equals the state at the end", arguments: 0..<30)
    func stateAtPPlusEvents(seed: UInt64) async throws {
        var rng = SeededGenerator(state: 7_000 + seed)
        let f = EngineFixture { $0.lifetimes.accessToken = UInt32.random(in: 30...900, using: &rng); $0.maxSessionsPerUser = 3 }
        let engine = try await f.open()
        var sessions: [(id: SessionID, user: String, refresh: [String])] = []
        let total = Int.random(in: 20...150, using: &rng), cut = Int.random(in: 0...total, using: &rng)
        var atP = engine.revocationState()
        for i in 0..<total {
            if i == cut { atP = engine.revocationState() }
            await Self.step(engine, f.clock, &rng, &sessions)
        }
        var follower = atP
        for e in try Self.events(after: atP.position, in: engine) { follower.apply(e) }
        let end = engine.revocationState()
        let now = f.clock.now()
        #expect(follower.refused(at: now) == end.refused(at: now), "seed \(seed)")
        // The position and chain hash the engine reports are the log's.
        let record = try #require(try engine.log.record(at: end.position))
        #expect(end.chainHash == record.chainHash)
        #expect(follower.position <= end.position)
    }

    @Test("a follower fed the state at P and the ending events agrees with isRevoked for every session after every command", arguments: 0..<10)
    func followerAgreesAfterEveryCommand(seed: UInt64) async throws {
        var rng = SeededGenerator(state: 9_000 + seed)
        let f = EngineFixture { $0.lifetimes.accessToken = 60; $0.leewaySeconds = 5; $0.maxSessionsPerUser = 2 }
        let engine = try await f.open()
        var sessions: [(id: SessionID, user: String, refresh: [String])] = []
        for _ in 0..<Int.random(in: 0...40, using: &rng) { await Self.step(engine, f.clock, &rng, &sessions) }
        var follower = engine.revocationState()
        for n in 0..<120 {
            await Self.step(engine, f.clock, &rng, &sessions)
            for e in try Self.events(after: follower.position, in: engine) { follower.apply(e) }
            follower.advance(to: try engine.log.head().position, chainHash: try engine.log.head().chainHash)
            let now = f.clock.now()
            for s in sessions {
                #expect(follower.refuses(s.id, at: now) == engine.isRevoked(session: s.id), "seed \(seed), step \(n), session \(s.id)")
            }
        }
    }

    @Test("schema 1 ending events still decode, and are expanded through the projection on replay")
    func schemaOneStillReads() async throws {
        let f = EngineFixture()
        let a: SessionTokens, b: SessionTokens
        do {
            let engine = try await f.open()
            (a, _) = try await engine.login(LoginRequest(user: "old", device: EngineFixture.phone))
            (b, _) = try await engine.login(LoginRequest(user: "old", device: EngineFixture.laptop))
            // Records as an older AuthLedger wrote them: no session lists, no refuse-until times.
            try await engine.log.append([
                AuthEvent.sessionEnded(SessionEnded(session: a.session)).pending(user: "old"),
                AuthEvent.userSessionsRevoked(UserSessionsRevoked(except: nil, reason: .logoutAll, actor: "user")).pending(user: "old"),
            ])
            #expect(try EngineFixture.events(engine).suffix(2).map { $0.event.schemaVersion } == [1, 1])
        }
        var c = f.configuration
        c.startFromSnapshot = false
        let reopened = try await AuthEngine.open(dataDirectory: f.dir.path, configuration: c)
        #expect(reopened.isRevoked(session: a.session) && reopened.isRevoked(session: b.session))
        #expect(reopened.activeSessions(user: "old").isEmpty)
    }

    @Test("schema 2 records round-trip; a user with more sessions than one event holds gets several events")
    func manySessions() async throws {
        let f = EngineFixture { $0.rules.tooManySessions = nil }
        let engine = try await f.open()
        var ids: [SessionID] = []
        for _ in 0..<2_100 { ids.append(try await engine.login(LoginRequest(user: "busy", device: EngineFixture.phone)).tokens.session) }
        try await engine.logoutAll(user: "busy")
        let events = try engine.history(user: "busy").compactMap { e -> UserSessionsRevoked? in
            if case let .userSessionsRevoked(r) = e.event { r } else { nil }
        }
        #expect(events.map { $0.sessions?.count } == [1_000, 1_000, 100])
        #expect(Set(events.flatMap { $0.sessions!.map(\.session) }) == Set(ids))
        #expect(ids.allSatisfy { engine.isRevoked(session: $0) })
    }
}
