import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// Rules of docs/SESSIONS.md that no other test pinned, each by name: changing the
/// comparison or the anchor time in the rule's code fails the test of that name.
@Suite("Pinned rules")
struct PinnedRuleTests {
    @Test("the grace window is measured from the latest rotation, not from login, to the microsecond")
    func graceFromLatestRotation() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        f.clock.advance(seconds: 100)
        let t2 = try await engine.refresh(t1.refreshToken)
        let rotatedAt = f.clock.now()
        let t3 = try await engine.refresh(t2.refreshToken)   // the latest rotation, same moment
        f.clock.set(rotatedAt.adding(seconds: 30).adding(microseconds: -1))
        // 130 s after login, but within 30 s of the latest rotation: the retry gets t3 again.
        #expect(engine.refreshTokenStatus(t2.refreshToken) == .withinGrace)
        #expect(try await engine.refresh(t2.refreshToken).refreshToken == t3.refreshToken)
        f.clock.set(rotatedAt.adding(seconds: 30))
        #expect(engine.refreshTokenStatus(t2.refreshToken) == .reused(.recentPredecessor))
        #expect(try EngineFixture.count(engine) { $0.isReuse } == 0)
    }

    @Test("concurrent tabs long after login share one successor and write exactly one refresh.rotated")
    func lateConcurrentTabs() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop))
        f.clock.advance(seconds: 86_400)
        let tabs = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try await engine.refresh(t1.refreshToken).refreshToken } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(tabs).count == 1)
        #expect(try EngineFixture.count(engine) { if case .refreshRotated = $0 { true } else { false } } == 1)
        #expect(try EngineFixture.count(engine) { $0.isReuse } == 0)
    }

    @Test("an orphaned-branch token (validly signed, a generation above the current one) revokes the session, classified as such")
    func orphanedBranch() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        _ = try await engine.refresh(t1.refreshToken)   // generation 2 is current
        // As after restoring an old backup: a genuine token of a generation the log never reached.
        let orphan = engine.keys.refreshTokens.token(sessionHigh: t1.session.high, sessionLow: t1.session.low, generation: 3)
        #expect(engine.refreshTokenStatus(orphan) == .reused(.orphanedBranch))
        #expect(await failure { _ = try await engine.refresh(orphan) } == .refreshTokenReused(.orphanedBranch))
        let reuse = try EngineFixture.events(engine).compactMap { e -> RefreshReuseDetected? in
            if case let .refreshReuseDetected(r) = e.event { r } else { nil }
        }
        #expect(reuse.map(\.classification) == [.orphanedBranch])
        #expect(reuse.map(\.presentedGeneration) == [3] && reuse.map(\.currentGeneration) == [2])
        #expect(engine.isRevoked(session: t1.session))
    }

    @Test("unbanning a user who is not banned writes nothing")
    func unbanWithoutBan() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let head = try engine.log.head().position
        try await engine.unban(user: "alice", actor: "admin")
        try await engine.unban(user: "nobody", actor: "admin")
        #expect(try engine.log.head().position == head)
        try await engine.ban(user: "alice", actor: "admin", reason: "r")
        try await engine.unban(user: "alice", actor: "admin")
        try await engine.unban(user: "alice", actor: "admin")
        #expect(try EngineFixture.count(engine) { if case .userUnbanned = $0 { true } else { false } } == 1)
    }

    @Test("logging out a session whose memory has expired is sessionNotFound; before that it is accepted again")
    func logoutAfterMemoryExpired() async throws {
        let f = EngineFixture { $0.lifetimes.accessToken = 60; $0.leewaySeconds = 5 }
        let engine = try await f.open()
        f.clock.advance(microseconds: 300_000)
        let (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        try await engine.logout(session: t.session)
        let loggedOut = f.clock.now()
        // Remembered until ⌊logout⌋ + access lifetime + leeway + 1 s.
        let forgetAt = Timestamp(seconds: loggedOut.seconds + 60 + 5 + 1)
        f.clock.set(forgetAt.adding(microseconds: -1))
        try await engine.logout(session: t.session)
        #expect(engine.isRevoked(session: t.session))
        f.clock.set(forgetAt)
        #expect(!engine.isRevoked(session: t.session))
        #expect(await failure { try await engine.logout(session: t.session) } == .sessionNotFound)
        #expect(await failure { try await engine.revoke(session: t.session, actor: "admin") } == .sessionNotFound)
        #expect(try EngineFixture.count(engine) { if case .sessionEnded = $0 { true } else { false } } == 1)
    }

    @Test("access tokens are dated at their commit, with a clock that moves on every reading")
    func datedAtCommitWithAMovingClock() async throws {
        // Each reading moves time 1.5 s on: a token dated by any reading but the batch's own
        // would carry another second.
        let clock = SteppingClock(start: Timestamp(seconds: 1_767_225_600).adding(microseconds: 700_000), step: 1_500_000)
        let dir = TemporaryDirectory()
        var c = EngineConfiguration()
        c.log = .unsafeFast()
        c.clock = clock
        let engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let t2 = try await engine.refresh(t1.refreshToken)
        let events = try EngineFixture.events(engine).filter { $0.user != nil }
        let started = try #require(events.first { if case .sessionStarted = $0.event { true } else { false } })
        let rotated = try #require(events.first { if case .refreshRotated = $0.event { true } else { false } })
        let verifier = AccessTokenVerifier(keys: engine.keys.jwks, policy: VerificationPolicy(issuer: "authledger", audience: "api", leewaySeconds: 1_000_000))
        let c1 = try verifier.verify(t1.accessToken, now: started.timestamp.seconds)
        let c2 = try verifier.verify(t2.accessToken, now: rotated.timestamp.seconds)
        #expect(c1.issuedAt == started.timestamp.seconds && c1.expiresAt == started.timestamp.seconds + 300)
        #expect(c2.issuedAt == rotated.timestamp.seconds && c2.expiresAt == rotated.timestamp.seconds + 300)
        #expect(t2.accessTokenExpiresAt == Timestamp(seconds: c2.expiresAt))
    }

    @Test("per-session lifetimes survive a configuration change across a restart")
    func lifetimesSurviveReconfiguration() async throws {
        var f = EngineFixture { $0.lifetimes = SessionLifetimes(accessToken: 600, refreshToken: 7_200, idleTimeout: 7_200, absolute: 86_400) }
        let t: SessionTokens
        do {
            let engine = try await f.open()
            (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
            try await engine.shutdown()
        }
        f.configuration.lifetimes = SessionLifetimes(accessToken: 60, refreshToken: 120, idleTimeout: 120, absolute: 3_600)
        for fromSnapshot in [true, false] {
            f.configuration.startFromSnapshot = fromSnapshot
            let engine = try await f.open()
            #expect(engine.session(t.session)?.expiresAt == t.refreshTokenExpiresAt)
        }
        let engine = try await f.open()
        f.clock.advance(seconds: 3_000)   // past the new 120 s, within the recorded 7,200 s
        let next = try await engine.refresh(t.refreshToken)
        let claims = try engine.verifyAccessToken(next.accessToken)
        #expect(claims.expiresAt - claims.issuedAt == 600)
        #expect(next.refreshTokenExpiresAt == f.clock.now().adding(seconds: 7_200))
    }
}
