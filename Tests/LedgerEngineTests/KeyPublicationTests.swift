import Glibc
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

@Suite("Signing keys published ahead of signing")
struct KeyPublicationTests {
    let dir = TemporaryDirectory()
    static let t0: Int64 = 1_767_225_600
    let clock = ManualClock(start: Timestamp(microseconds: t0 * 1_000_000 + 400_000))

    func at(_ seconds: Int64, micro: Int64 = 0) -> Timestamp { Timestamp(microseconds: (Self.t0 + seconds) * 1_000_000 + micro) }

    func open(publishAhead: Int64 = 120, retirementInterval: Duration = .seconds(3600)) async throws -> AuthEngine {
        var c = EngineConfiguration()
        c.log = .unsafeFast(clock: clock)
        c.clock = clock
        c.signingKeyPublishAheadSeconds = publishAhead
        c.keyRetirementInterval = retirementInterval
        return try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
    }

    func kid(of token: String) throws -> String? { try CompactJWS(parsing: token).header["kid"]?.stringValue }

    func keyEvents(_ engine: AuthEngine) throws -> [String] {
        try engine.log.read(from: 1, limit: 1000).map { try LoggedEvent($0) }.compactMap { e -> String? in
            switch e.event {
            case let .signingKeyAdded(k): "added \(k.kid)"
            case let .signingKeyActivated(k): "activated \(k.kid)"
            case let .signingKeyRetired(k): "retired \(k.kid)"
            default: nil
            }
        }
    }

    @Test("a new key is in the JWKS at once and signs from exactly publish-ahead seconds after it was added")
    func publishedBeforeSigning() async throws {
        let engine = try await open(publishAhead: 90)
        let old = engine.keys.signingKey.kid
        clock.set(at(5, micro: 700_000))
        let rotation = try await engine.rotateSigningKey()
        #expect(!rotation.isActive && rotation.activatesAt == at(95, micro: 700_000))
        // A verifier that fetches the key set now already knows the key that will sign.
        #expect(engine.keys.jwks[rotation.kid] != nil && engine.keys.jwks[old] != nil)

        clock.set(Timestamp(microseconds: rotation.activatesAt.microseconds - 1))
        #expect(try await engine.activateDueSigningKey() == nil)
        let before = try await engine.login(LoginRequest(user: "alice", device: Device(label: "Phone")))
        #expect(try kid(of: before.tokens.accessToken) == old)

        clock.set(rotation.activatesAt)
        #expect(try await engine.activateDueSigningKey() == rotation.kid)
        #expect(engine.keys.signingKey.kid == rotation.kid)
        #expect(engine.keys.state.entries[old]?.deactivatedAt == rotation.activatesAt)
        let after = try await engine.refresh(before.tokens.refreshToken)
        #expect(try kid(of: after.accessToken) == rotation.kid)
        // Both keys' tokens verify: the old one stays published until its tokens expire.
        #expect(try engine.verifyAccessToken(before.tokens.accessToken).subject == "alice")
        #expect(try engine.verifyAccessToken(after.accessToken).subject == "alice")
        #expect(try keyEvents(engine) == ["added \(old)", "activated \(old)", "added \(rotation.kid)", "activated \(rotation.kid)"])
    }

    @Test("a rotation asked for while one waits returns the waiting one; `immediately` activates it instead of making another")
    func oneRotationAtATime() async throws {
        let engine = try await open()
        let first = try await engine.rotateSigningKey()
        clock.advance(seconds: 30)
        #expect(try await engine.rotateSigningKey() == first)
        clock.advance(seconds: 1)
        let now = try await engine.rotateSigningKey(immediately: true)
        #expect(now.kid == first.kid && now.isActive && now.activatesAt == clock.now())
        #expect(engine.keys.signingKey.kid == first.kid)
        #expect(try keyEvents(engine).filter { $0.hasPrefix("added") }.count == 2)
        // With nothing waiting, `immediately` makes and activates a new key in one step.
        let next = try await engine.rotateSigningKey(immediately: true)
        #expect(next.kid != first.kid && next.isActive && engine.keys.signingKey.kid == next.kid)
    }

    @Test("a waiting key survives a restart, is never retired while it waits, and is activated from its file")
    func restart() async throws {
        let rotation: KeyRotation
        do {
            let engine = try await open()
            rotation = try await engine.rotateSigningKey()
            try await engine.shutdown()
        }
        // Long past the old keys' retirement bound, but the new key has never signed.
        let engine = try await open()
        #expect(engine.keys.pendingRotation == rotation)
        // Past the bound at which a key that stopped signing when added would be retired
        // (added + 1 + 300 + 30 + 1 s): a waiting key has signed nothing and stays.
        clock.set(rotation.activatesAt.adding(seconds: 400))
        let retired = try await engine.retireExpiredKeys()
        #expect(!retired.contains(rotation.kid))
        #expect(engine.keys.jwks[rotation.kid] != nil)
        #expect(try await engine.activateDueSigningKey() == rotation.kid)
        let tokens = try await engine.login(LoginRequest(user: "bob", device: Device(label: "Laptop")))
        #expect(try kid(of: tokens.tokens.accessToken) == rotation.kid)
    }

    @Test("the engine activates a due key on its own, and not after shutdown")
    func scheduled() async throws {
        let engine = try await open(retirementInterval: .milliseconds(20))
        let rotation = try await engine.rotateSigningKey()
        try await Task.sleep(for: .milliseconds(100))
        #expect(engine.keys.signingKey.kid != rotation.kid, "activated before its time")
        clock.set(rotation.activatesAt)
        let deadline = ContinuousClock.now + .seconds(10)
        while engine.keys.signingKey.kid != rotation.kid && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(engine.keys.signingKey.kid == rotation.kid)

        let second = try await engine.rotateSigningKey()
        try await engine.shutdown()
        clock.set(second.activatesAt)
        try await Task.sleep(for: .milliseconds(100))
        #expect(engine.keys.signingKey.kid == rotation.kid, "activated after shutdown")
    }

    @Test("a waiting key whose private file is gone is reported, the current key keeps signing, and an immediate rotation replaces it")
    func missingWaitingKey() async throws {
        let engine = try await open()
        let old = engine.keys.signingKey.kid
        let rotation = try await engine.rotateSigningKey()
        try await engine.shutdown()
        unlink(dir.path + "/keys/\(rotation.kid).pem")
        let reopened = try await open()
        clock.set(rotation.activatesAt)
        await #expect { try await reopened.activateDueSigningKey() } throws: { error in
            guard let e = error as? EngineError, case let .keyFile(path) = e.kind else { return false }
            return path.hasSuffix("\(rotation.kid).pem") && e.message.contains("backup")
        }
        #expect(reopened.keys.signingKey.kid == old)
        // An urgent rotation does not wait for a restore: the waiting key is retired.
        let urgent = try await reopened.rotateSigningKey(immediately: true)
        #expect(urgent.isActive && urgent.kid != rotation.kid && reopened.keys.signingKey.kid == urgent.kid)
        #expect(reopened.keys.jwks[rotation.kid] == nil && reopened.keys.pendingRotation == nil)
        #expect(try keyEvents(reopened).suffix(3) == ["retired \(rotation.kid)", "added \(urgent.kid)", "activated \(urgent.kid)"])
    }
}
