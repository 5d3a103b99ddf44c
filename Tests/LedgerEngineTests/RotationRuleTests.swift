import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

@Suite("Rotation rules")
struct RotationRuleTests {
    @Test("a. rotation: a refresh returns a new pair and makes the presented token stale")
    func rotation() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let t2 = try await engine.refresh(t1.refreshToken)
        #expect(t2.refreshToken != t1.refreshToken && t2.accessToken != t1.accessToken)
        #expect(t2.session == t1.session)
        #expect(engine.refreshTokenStatus(t2.refreshToken) == .current)
        #expect(engine.refreshTokenStatus(t1.refreshToken) == .withinGrace)
        f.clock.advance(seconds: 31)
        #expect(engine.refreshTokenStatus(t1.refreshToken) == .reused(.recentPredecessor))
        #expect(try engine.verifyAccessToken(t2.accessToken).sessionID == t1.session.description)
    }

    @Test("b. lost response: the just-rotated token presented again gets the same successor; nothing is revoked")
    func lostResponse() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let t2 = try await engine.refresh(t1.refreshToken)   // the response is lost
        f.clock.advance(seconds: 5)
        let retry = try await engine.refresh(t1.refreshToken)
        #expect(retry.refreshToken == t2.refreshToken)
        let t3 = try await engine.refresh(retry.refreshToken)
        #expect(t3.refreshToken != t2.refreshToken)
        #expect(try EngineFixture.count(engine) { $0.isReuse || $0.isRevocation } == 0)
        #expect(engine.activeSessions(user: "alice").count == 1)
    }

    @Test("c. concurrent tabs: N refreshes of one token all succeed with the one live successor")
    func concurrentTabs() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop))
        let tabs = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await engine.refresh(t1.refreshToken).refreshToken } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(tabs).count == 1)
        #expect(engine.refreshTokenStatus(tabs[0]) == .current)
        #expect(try EngineFixture.count(engine) { $0.isReuse } == 0)
    }

    @Test("c. concurrent tabs then refresh again in every order: each tab succeeds and all end on the live lineage",
          arguments: [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]])
    func tabsInEveryOrder(order: [Int]) async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop))
        // Three tabs refresh the same token at the same moment.
        var held = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<3 { group.addTask { try await engine.refresh(t1.refreshToken).refreshToken } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        // Then each refreshes again, one after another, in this order, a few seconds apart.
        for tab in order {
            f.clock.advance(seconds: 3)
            held[tab] = try await engine.refresh(held[tab]).refreshToken
        }
        #expect(Set(held).count == 1)
        #expect(engine.refreshTokenStatus(held[0]) == .current)
        #expect(try EngineFixture.count(engine) { $0.isReuse || $0.isRevocation } == 0)
        // And a third round, again in this order.
        for tab in order {
            f.clock.advance(seconds: 3)
            held[tab] = try await engine.refresh(held[tab]).refreshToken
        }
        #expect(Set(held).count == 1)
    }

    @Test("d. reuse after the successor was used revokes that session only, classified stale-lineage")
    func reuseAfterSuccessorUsed() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let (other, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop))
        let t2 = try await engine.refresh(t1.refreshToken)
        let t3 = try await engine.refresh(t2.refreshToken)
        await #expect { try await engine.refresh(t1.refreshToken) } throws: { ($0 as? EngineError)?.kind == .refreshTokenReused(.staleLineage) }
        // The current holder's tokens stop working too.
        await #expect { try await engine.refresh(t3.refreshToken) } throws: { ($0 as? EngineError)?.kind == .sessionRevoked }
        #expect { try engine.verifyAccessToken(t3.accessToken) } throws: { ($0 as? EngineError)?.kind == .invalidAccessToken(.revoked) }
        #expect(engine.isRevoked(session: t1.session))
        // The user's other session is untouched.
        #expect(engine.activeSessions(user: "alice").map(\.id) == [other.session])
        #expect(try engine.verifyAccessToken(other.accessToken).subject == "alice")
        _ = try await engine.refresh(other.refreshToken)
        let reuse = try EngineFixture.events(engine).compactMap { e -> RefreshReuseDetected? in
            if case let .refreshReuseDetected(r) = e.event { r } else { nil }
        }
        #expect(reuse.count == 1 && reuse[0].classification == .staleLineage && reuse[0].presentedGeneration == 1 && reuse[0].currentGeneration == 3)
    }

    @Test("d. the predecessor presented after the grace window is reuse, classified recent-predecessor")
    func reuseAfterGrace() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let t2 = try await engine.refresh(t1.refreshToken)
        f.clock.advance(seconds: 30)
        await #expect { try await engine.refresh(t1.refreshToken) } throws: { ($0 as? EngineError)?.kind == .refreshTokenReused(.recentPredecessor) }
        await #expect { try await engine.refresh(t2.refreshToken) } throws: { ($0 as? EngineError)?.kind == .sessionRevoked }
        let revoked = try EngineFixture.events(engine).compactMap { e -> SessionRevoked? in if case let .sessionRevoked(r) = e.event { r } else { nil } }
        #expect(revoked.map(\.reason) == [.reuseDetected])
    }

    @Test("e. forgeries are rejected, revoke nothing and write nothing, however many")
    func forgery() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let head = try engine.log.head()
        let otherKey = try RefreshTokenCodec(keys: [1: [UInt8](repeating: 9, count: 32)], current: 1)
        let forged = [
            otherKey.token(session: t1.session.bytes, generation: 1),   // right session, wrong secret
            otherKey.token(session: SessionID.random().bytes, generation: 1),  // unknown session
            "alr1_" + String(repeating: "A", count: 71),  // well-formed, garbage
            "not a token", "",
        ]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<1_000 {
                group.addTask {
                    await #expect { try await engine.refresh(forged[i % forged.count]) } throws: {
                        ($0 as? EngineError)?.kind == .invalidRefreshToken
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try engine.log.head() == head)
        #expect(engine.refreshTokenStatus(t1.refreshToken) == .current)
        _ = try await engine.refresh(t1.refreshToken)
    }

    @Test("f. lifetimes: refresh-token lifetime renews on rotation, inactivity and the absolute cap end sessions without a write")
    func lifetimes() async throws {
        let f = EngineFixture { c in
            c.lifetimes = SessionLifetimes(accessToken: 120, refreshToken: 3_600, idleTimeout: 1_800, absolute: 10_000)
        }
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let claims = try engine.verifyAccessToken(t1.accessToken)
        #expect(claims.expiresAt - claims.issuedAt == 120)
        // Inactivity (30 min) is earlier than the refresh lifetime (1 h): refresh at 29 min.
        f.clock.advance(seconds: 1_799)
        var tokens = try await engine.refresh(t1.refreshToken)
        // Keep refreshing every 29 minutes: each rotation renews the lifetimes...
        for _ in 0..<4 {
            f.clock.advance(seconds: 1_740)
            tokens = try await engine.refresh(tokens.refreshToken)
        }
        // ...until the absolute cap (10,000 s after login) ends it anyway.
        let head = try engine.log.head()
        let session = try #require(engine.session(t1.session))
        #expect(session.expiresAt == Timestamp(seconds: 1_767_225_600 + 10_000))
        f.clock.set(session.expiresAt.adding(microseconds: -1))
        #expect(engine.activeSessions(user: "alice").count == 1)
        f.clock.set(session.expiresAt)
        #expect(engine.activeSessions(user: "alice").isEmpty)
        #expect(try engine.log.head() == head)  // leaving the active set needed no write
        await #expect { try await engine.refresh(tokens.refreshToken) } throws: { ($0 as? EngineError)?.kind == .sessionExpired }
    }

    @Test("f. inactivity: a session not refreshed within the idle timeout expires")
    func inactivity() async throws {
        let f = EngineFixture { $0.lifetimes = SessionLifetimes(accessToken: 300, refreshToken: 7 * 86_400, idleTimeout: 3_600, absolute: 30 * 86_400) }
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        f.clock.advance(seconds: 3_600)
        #expect(engine.activeSessions(user: "alice").isEmpty)
        await #expect { try await engine.refresh(t1.refreshToken) } throws: { ($0 as? EngineError)?.kind == .sessionExpired }
    }

    @Test("f. defaults: 5-minute access tokens, 7-day refresh tokens, 30-day cap")
    func defaults() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, info) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        #expect(t1.accessTokenExpiresAt == f.clock.now().adding(seconds: 300))
        #expect(t1.refreshTokenExpiresAt == f.clock.now().adding(seconds: 7 * 86_400))
        #expect(info.expiresAt == f.clock.now().adding(seconds: 7 * 86_400))
        #expect(f.configuration.lifetimes.absolute == 30 * 86_400 && f.configuration.graceWindowSeconds == 30)
    }

    @Test("g. log out all, all but the current (password change), and one")
    func logoutAll() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (a, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let (b, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop))
        let (c, _) = try await engine.login(LoginRequest(user: "alice", device: Device(label: "iPad")))
        let (bob, _) = try await engine.login(LoginRequest(user: "bob", device: EngineFixture.phone))
        try await engine.logoutAll(user: "alice", except: b.session)
        #expect(engine.activeSessions(user: "alice", current: b.session).map { [$0.id.description, "\($0.isCurrent)"] } == [[b.session.description, "true"]])
        #expect(engine.isRevoked(session: a.session) && engine.isRevoked(session: c.session))
        try await engine.logout(session: b.session)
        try await engine.logout(session: b.session)  // twice is fine
        #expect(engine.activeSessions(user: "alice").isEmpty)
        #expect(engine.activeSessions(user: "bob").map(\.id) == [bob.session])
        let (d, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        try await engine.logoutAll(user: "alice")
        #expect(engine.isRevoked(session: d.session))
        let reasons = try EngineFixture.events(engine).compactMap { e -> RevocationReason? in
            if case let .userSessionsRevoked(r) = e.event { r.reason } else { nil }
        }
        #expect(reasons == [.passwordChange, .logoutAll])
    }

    @Test("g. a ban revokes every session and refuses logins until unbanned")
    func ban() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (a, _) = try await engine.login(LoginRequest(user: "mallory", device: EngineFixture.phone))
        try await engine.ban(user: "mallory", actor: "admin:ops", reason: "fraud")
        #expect(engine.isBanned(user: "mallory"))
        #expect(engine.activeSessions(user: "mallory").isEmpty)
        await #expect { try await engine.refresh(a.refreshToken) } throws: { ($0 as? EngineError)?.kind == .sessionRevoked }
        await #expect { try await engine.login(LoginRequest(user: "mallory", device: EngineFixture.phone)) } throws: {
            ($0 as? EngineError)?.kind == .userBanned
        }
        try await engine.unban(user: "mallory", actor: "admin:ops")
        _ = try await engine.login(LoginRequest(user: "mallory", device: EngineFixture.phone))
        #expect(engine.activeSessions(user: "mallory").count == 1)
    }

    @Test("g. a per-user session limit revokes the oldest; off by default")
    func sessionLimit() async throws {
        let f = EngineFixture { $0.maxSessionsPerUser = 2 }
        let engine = try await f.open()
        var ids: [SessionID] = []
        for i in 0..<4 {
            f.clock.advance(seconds: 1)
            ids.append(try await engine.login(LoginRequest(user: "alice", device: Device(label: "d\(i)"))).tokens.session)
        }
        #expect(engine.activeSessions(user: "alice").map(\.id) == Array(ids.suffix(2)))
        let revoked = try EngineFixture.events(engine).compactMap { e -> SessionRevoked? in if case let .sessionRevoked(r) = e.event { r } else { nil } }
        #expect(revoked.map(\.session) == Array(ids.prefix(2)) && revoked.allSatisfy { $0.reason == .sessionLimit })
        #expect(EngineConfiguration().maxSessionsPerUser == nil)
    }

    @Test("revoking a session as an admin stops its tokens at once")
    func adminRevoke() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (a, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        try await engine.revoke(session: a.session, actor: "admin:jo")
        #expect { try engine.verifyAccessToken(a.accessToken) } throws: { ($0 as? EngineError)?.kind == .invalidAccessToken(.revoked) }
        await #expect { try await engine.revoke(session: SessionID.random(), actor: "admin:jo") } throws: { ($0 as? EngineError)?.kind == .sessionNotFound }
    }
}
