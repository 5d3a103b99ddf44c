import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

@Suite("Group commit through the engine")
struct EngineGroupCommitTests {
    @Test("refreshes of one token in one batch never fork the lineage: with a grace window all share one successor")
    func sameTokenInOneBatchWithGrace() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let results = await withTaskGroup(of: String?.self) { group in
            for _ in 0..<64 { group.addTask { try? await engine.refresh(t1.refreshToken).refreshToken } }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 != nil })
        #expect(Set(results.compactMap { $0 }).count == 1)
    }

    @Test("without a grace window, one refresh wins and the rest are reuse: the session is revoked, never forked")
    func sameTokenInOneBatchWithoutGrace() async throws {
        let f = EngineFixture { $0.graceWindowSeconds = 0 }
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let results = await withTaskGroup(of: Result<String, EngineError>.self) { group in
            for _ in 0..<32 {
                group.addTask { await attempt { () async throws(EngineError) in try await engine.refresh(t1.refreshToken).refreshToken } }
            }
            return await group.reduce(into: [Result<String, EngineError>]()) { $0.append($1) }
        }
        let winners = results.compactMap { try? $0.get() }
        #expect(winners.count == 1)
        #expect(results.contains { if case let .failure(e) = $0 { e.kind == .refreshTokenReused(.recentPredecessor) } else { false } })
        // The winner's token died with the session.
        await #expect { try await engine.refresh(winners[0]) } throws: { ($0 as? EngineError)?.kind == .sessionRevoked }
    }

    @Test("when a commit fails, every caller in the batch gets the error and nothing becomes visible")
    func failedCommit() async throws {
        let f = EngineFixture { c in
            c.log.initialMapSize = 1 << 20
            c.log.maxMapSize = 1 << 20
        }
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        // Fill the log until it cannot grow: large events first, then the smallest kind
        // (rotations), so that no event of the batch below can fit.
        var small = try await engine.login(LoginRequest(user: "small", device: Device(label: "s"))).tokens
        let filler = String(repeating: "x", count: 1000)
        var full = false
        for i in 0..<10_000 where !full {
            do { _ = try await engine.login(LoginRequest(user: "filler-\(i)", device: Device(label: "filler", userAgent: filler))) } catch {
                #expect(error.kind == .storage)
                full = true
            }
        }
        #expect(full)
        full = false
        while !full {
            do { small = try await engine.refresh(small.refreshToken) } catch {
                #expect(error.kind == .storage)
                full = true
            }
        }
        let digest = engine.projectionDigest
        let head = try engine.log.head()
        let outcomes = await withTaskGroup(of: EngineError?.self) { group in
            group.addTask {
                if case let .failure(e) = await attempt({ () async throws(EngineError) in try await engine.refresh(t1.refreshToken) }) { return e }
                return nil
            }
            for i in 0..<20 {
                group.addTask {
                    let r = await attempt { () async throws(EngineError) in try await engine.login(LoginRequest(user: "late-\(i)", device: EngineFixture.laptop)) }
                    if case let .failure(e) = r { return e }
                    return nil
                }
            }
            return await group.reduce(into: [EngineError?]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0?.kind == .storage })
        #expect(engine.projectionDigest == digest)
        #expect(try engine.log.head() == head)
        #expect(engine.refreshTokenStatus(t1.refreshToken) == .current)
    }

    @Test("readers query concurrently while writers commit")
    func concurrentReaders() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<8 {
                group.addTask {
                    for i in 0..<200 {
                        let (t, _) = try await engine.login(LoginRequest(user: "u\(w)", device: Device(label: "d\(i % 3)")))
                        _ = try await engine.refresh(t.refreshToken)
                        if i % 2 == 0 { try await engine.logout(session: t.session) }
                    }
                }
            }
            for _ in 0..<4 {
                group.addTask {
                    for i in 0..<2_000 {
                        let sessions = engine.activeSessions(user: "u\(i % 8)")
                        #expect(Set(sessions.map(\.id)).count == sessions.count)
                        _ = engine.statistics
                    }
                }
            }
            try await group.waitForAll()
        }
        for w in 0..<8 { #expect(engine.activeSessions(user: "u\(w)").count == 100) }
    }
}

@Suite("Suspicious activity rules")
struct SuspicionRuleTests {
    func flags(_ engine: AuthEngine) throws -> [SuspicionRule] { try EngineFixture.events(engine).compactMap(\.event.flag) }

    @Test("a login from a device never seen for the user is flagged (not the user's first)")
    func newDevice() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        #expect(try flags(engine).isEmpty)
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop))
        #expect(try flags(engine) == [.newDevice])
    }

    @Test("a refresh from a different network than the session's last is flagged")
    func networkChange() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let t2 = try await engine.refresh(t1.refreshToken, ip: IPAddress("198.51.100.99")!)  // same /24
        #expect(try flags(engine).isEmpty)
        _ = try await engine.refresh(t2.refreshToken, ip: IPAddress("192.0.2.1")!)
        #expect(try flags(engine) == [.networkChange])
    }

    @Test("more concurrent sessions than the threshold are flagged")
    func tooManySessions() async throws {
        let f = EngineFixture { $0.rules.tooManySessions = 2 }
        let engine = try await f.open()
        for _ in 0..<3 { _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone)) }
        #expect(try flags(engine) == [.tooManySessions])
    }

    @Test("reuse detection is flagged")
    func reuse() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let t2 = try await engine.refresh(t1.refreshToken)
        _ = try await engine.refresh(t2.refreshToken)
        _ = try? await engine.refresh(t1.refreshToken)
        #expect(try flags(engine) == [.refreshReuse])
    }

    @Test("rules can be switched off")
    func configurable() async throws {
        let f = EngineFixture { c in
            c.rules.newDevice = false; c.rules.networkChange = false; c.rules.tooManySessions = nil; c.rules.refreshReuse = false
        }
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        for _ in 0..<12 { _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.laptop)) }
        let t2 = try await engine.refresh(t1.refreshToken, ip: IPAddress("192.0.2.1")!)
        _ = try await engine.refresh(t2.refreshToken)
        _ = try? await engine.refresh(t1.refreshToken)
        #expect(try flags(engine).isEmpty)
    }
}

@Suite("Projections")
struct ProjectionTests {
    @Test("the revoked-session set forgets each entry once its last access token has expired")
    func revocationMemoryIsBounded() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        for round in 0..<5 {
            for i in 0..<200 {
                let (t, _) = try await engine.login(LoginRequest(user: "u\(round)-\(i)", device: EngineFixture.phone))
                try await engine.logout(session: t.session)
            }
            // Each round happens after the previous round's access tokens all expired.
            f.clock.advance(seconds: 300 + 30 + 1)
        }
        // Pruning runs at event times: one more event prunes everything revoked before.
        _ = try await engine.login(LoginRequest(user: "last", device: EngineFixture.phone))
        #expect(engine.statistics.revokedRemembered == 0)
        let (t, _) = try await engine.login(LoginRequest(user: "x", device: EngineFixture.phone))
        try await engine.logout(session: t.session)
        #expect(engine.isRevoked(session: t.session))
        f.clock.advance(seconds: 331)
        #expect(!engine.isRevoked(session: t.session))
    }

    @Test("expired sessions leave memory at the first hourly sweep (in event time) once none of their access tokens can verify")
    func expiredSessionsArePruned() async throws {
        let f = EngineFixture { $0.lifetimes = SessionLifetimes(accessToken: 60, refreshToken: 600, idleTimeout: 600, absolute: 3_600) }
        let engine = try await f.open()
        for i in 0..<100 { _ = try await engine.login(LoginRequest(user: "u\(i)", device: EngineFixture.phone)) }
        #expect(engine.statistics.sessions == 100)
        f.clock.advance(seconds: 601)
        _ = try await engine.login(LoginRequest(user: "late", device: EngineFixture.phone))
        // Expired, so no longer active, but still in memory until the sweep.
        #expect(engine.activeSessions(user: "u1").isEmpty)
        #expect(engine.statistics.sessions == 101)
        f.clock.advance(seconds: 3_600)
        _ = try await engine.login(LoginRequest(user: "later", device: EngineFixture.phone))
        #expect(engine.statistics.sessions == 1)
    }

    @Test("history lists a user's events in order, and a reopened engine has the same projection")
    func historyAndReopen() async throws {
        let f = EngineFixture()
        var digest = SHA256Digest.zero
        do {
            let engine = try await f.open()
            let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
            _ = try await engine.refresh(t1.refreshToken)
            try await engine.logout(session: t1.session)
            #expect(try engine.history(user: "alice").map(\.event.type) == [.sessionStarted, .refreshRotated, .sessionEnded])
            digest = engine.projectionDigest
        }
        let reopened = try await f.open()
        #expect(reopened.projectionDigest == digest)
    }
}

import LedgerCrypto

/// Regressions found in review, each pinned by name.
@Suite("Review regressions")
struct ReviewRegressionTests {
    @Test("a refresh with a custom claim that clashes is refused before anything rotates")
    func badCustomClaimDoesNotRotate() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        await #expect { try await engine.refresh(t1.refreshToken, customClaims: ["sub": "mallory"]) } throws: {
            ($0 as? EngineError)?.kind == .invalidRequest
        }
        #expect(engine.refreshTokenStatus(t1.refreshToken) == .current)
        f.clock.advance(seconds: 60)
        _ = try await engine.refresh(t1.refreshToken)  // still the live token, not "reuse"
    }

    @Test("a retry from a new network inside the grace window is flagged too")
    func graceRetryFromNewNetworkIsFlagged() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        _ = try await engine.refresh(t1.refreshToken, ip: IPAddress("198.51.100.9")!)
        _ = try await engine.refresh(t1.refreshToken, ip: IPAddress("192.0.2.200")!)  // within grace, elsewhere
        #expect(try EngineFixture.events(engine).compactMap(\.event.flag) == [.networkChange])
    }

    @Test("IPv4-mapped IPv6 addresses count as the IPv4 network they are")
    func mappedAddressesAreNormalised() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: Device(label: "d", ip: IPAddress("::ffff:c633:6407")!)))
        let t2 = try await engine.refresh(t1.refreshToken, ip: IPAddress("198.51.100.8")!)
        _ = try await engine.refresh(t2.refreshToken, ip: IPAddress("::ffff:c633:6409")!)
        #expect(try EngineFixture.events(engine).compactMap(\.event.flag).isEmpty)
        #expect(IPAddress("::ffff:c633:6407")!.normalized == IPAddress("198.51.100.7")!)
        #expect(IPAddress("::")!.normalized == .unknown)
    }

    @Test("access tokens are dated at their commit, not later")
    func tokensDatedAtCommit() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        #expect(try engine.verifyAccessToken(t1.accessToken).issuedAt == f.clock.now().seconds)
    }
}
