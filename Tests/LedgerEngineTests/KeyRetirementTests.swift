import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

@Suite("Signing-key retirement")
struct KeyRetirementTests {
    let dir = TemporaryDirectory()
    /// 2026-01-01T00:00:00Z, in whole seconds; the clock is set to fractions of a second after it.
    static let t0: Int64 = 1_767_225_600
    let clock = ManualClock(start: Timestamp(microseconds: t0 * 1_000_000 + 250_000))

    func at(_ seconds: Int64, micro: Int64 = 0) -> Timestamp { Timestamp(microseconds: (Self.t0 + seconds) * 1_000_000 + micro) }

    func open(accessTokenLifetime: UInt32 = 300, startFromSnapshot: Bool = true,
              retirementInterval: Duration = .seconds(3600)) async throws -> AuthEngine {
        var c = EngineConfiguration()
        c.log = .unsafeFast(clock: clock)
        c.clock = clock
        c.lifetimes.accessToken = accessTokenLifetime
        c.startFromSnapshot = startFromSnapshot
        c.keyRetirementInterval = retirementInterval
        return try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
    }

    @Test("a key is published until one microsecond before floor(D) + 1 s + lifetime + leeway + 1 s, and retired at it")
    func boundary() async throws {
        let engine = try await open()
        let old = engine.keys.signingKey.kid
        clock.set(at(10, micro: 900_000))
        let token = try await engine.login(LoginRequest(user: "alice", device: Device(label: "Phone"))).tokens.accessToken
        clock.set(at(10, micro: 950_000))
        try await engine.rotateSigningKey(immediately: true)
        let entry = try #require(engine.keys.state.entries[old])
        #expect(entry.deactivatedAt == at(10, micro: 950_000))
        // iat = t0 + 10, exp = t0 + 310; accepted while floor(now) <= t0 + 340.
        let bound = at(10 + 1 + 300 + 30 + 1)
        #expect(entry.retirementTime(longestTokenLifetimeSeconds: 300, leewaySeconds: 30) == bound)

        // The token's last verifying microsecond: the key must still be published then.
        clock.set(at(10 + 300 + 30, micro: 999_999))
        #expect(try await engine.retireExpiredKeys().isEmpty)
        #expect(try engine.verifyAccessToken(token).subject == "alice")
        // A second's margin for a token dated just after the rotation but signed by this key.
        clock.set(Timestamp(microseconds: bound.microseconds - 1))
        #expect(try await engine.retireExpiredKeys().isEmpty)
        #expect(engine.keys.jwks[old] != nil)

        clock.set(bound)
        #expect(try await engine.retireExpiredKeys() == [old])
        #expect(engine.keys.jwks[old] == nil)
        #expect(throws: EngineError.self) { try engine.verifyAccessToken(token) }
    }

    @Test("a session started under a longer access-token lifetime keeps its key published after the configured lifetime shrinks",
          arguments: [true, false])
    func longerRecordedLifetime(startFromSnapshot: Bool) async throws {
        var old = "", token = ""
        do {
            let engine = try await open(accessTokenLifetime: 3600)
            old = engine.keys.signingKey.kid
            token = try await engine.login(LoginRequest(user: "alice", device: Device(label: "Phone"))).tokens.accessToken
            clock.set(at(5, micro: 500_000))
            try await engine.rotateSigningKey(immediately: true)
            try await engine.shutdown()
        }
        let engine = try await open(accessTokenLifetime: 300, startFromSnapshot: startFromSnapshot)
        #expect(engine.startup.snapshotPosition != nil || !startFromSnapshot)
        // Past the bound of the configured 300 s, well within the token's 3600 s.
        clock.set(at(5 + 1 + 300 + 30 + 1 + 10))
        #expect(try await engine.retireExpiredKeys().isEmpty)
        #expect(engine.keys.jwks[old] != nil)
        #expect(try engine.verifyAccessToken(token).subject == "alice")

        clock.set(Timestamp(microseconds: at(5 + 1 + 3600 + 30 + 1).microseconds - 1))
        #expect(try await engine.retireExpiredKeys().isEmpty)
        clock.set(at(5 + 1 + 3600 + 30 + 1))
        #expect(try await engine.retireExpiredKeys() == [old])
    }

    @Test("the engine retires expired keys on its own schedule, and stops at shutdown")
    func schedule() async throws {
        let engine = try await open(retirementInterval: .milliseconds(20))
        let first = engine.keys.signingKey.kid
        try await engine.rotateSigningKey(immediately: true)
        clock.advance(seconds: 300 + 30 + 2)
        try await waitUntil { engine.keys.jwks[first] == nil }
        #expect(engine.keys.jwks[first] == nil, "not retired without being asked")
        let retired = try engine.log.read(from: 1, limit: 100).map { try LoggedEvent($0).event }.compactMap { e -> String? in
            if case let .signingKeyRetired(r) = e { return r.kid } else { return nil }
        }
        #expect(retired == [first])

        let second = engine.keys.signingKey.kid
        try await engine.rotateSigningKey(immediately: true)
        try await engine.shutdown()
        clock.advance(seconds: 300 + 30 + 2)
        try await Task.sleep(for: .milliseconds(200))
        #expect(engine.keys.jwks[second] != nil, "retired after shutdown")
        await #expect { try await engine.rotateSigningKey(immediately: true) } throws: { ($0 as? EngineError)?.kind == .shuttingDown }
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    }
}
