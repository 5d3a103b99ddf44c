import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// Once an ending is acknowledged, no access token of a session it affects verifies, at any
/// sub-second offset of login, ending and check, whatever the hourly sweep did; and no
/// access token outlives its session.
@Suite("The revocation edge")
struct RevocationEdgeTests {
    static let second: Int64 = 1_000_000
    static let start = Timestamp(seconds: 1_767_225_600)

    /// Every moment worth checking from `from` to `to`: a grid, plus each whole second and
    /// the microseconds either side of it.
    static func checkpoints(from: Timestamp, to: Timestamp) -> [Timestamp] {
        var out: [Timestamp] = []
        var t = from
        while t < to {
            out.append(t)
            t = t.adding(microseconds: 100_000)
        }
        var s = from.seconds
        while Timestamp(seconds: s) < to {
            for d in [-1, 0, 1] as [Int64] {
                let c = Timestamp(seconds: s).adding(microseconds: d)
                if c >= from && c < to { out.append(c) }
            }
            s += 1
        }
        return out.sorted()
    }

    static let offsets: [Int64] = [0, 1, 499_999, 999_999]

    @Test("a logged-out session's access tokens are refused from the acknowledgement until they expire",
          arguments: offsets, [Int64(0), 1, 300_000, -1, 1_000_000])
    func logoutAtEveryOffset(loginOffset: Int64, logoutDelay: Int64) async throws {
        let f = EngineFixture { $0.lifetimes.accessToken = 10; $0.leewaySeconds = 2 }
        let login = Self.start.adding(microseconds: loginOffset)
        f.clock.set(login)
        let engine = try await f.open()
        let (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        // -1: the last microsecond of the login's second; otherwise that long after the login.
        let loggedOut = logoutDelay < 0 ? Timestamp(seconds: login.seconds + 1).adding(microseconds: -1) : login.adding(microseconds: logoutDelay)
        f.clock.set(loggedOut)
        try await engine.logout(session: t.session)
        for c in Self.checkpoints(from: loggedOut, to: Timestamp(seconds: login.seconds + 16)) {
            f.clock.set(c)
            #expect(throws: EngineError.self, "verified at \(c) after a logout at \(loggedOut)") { try engine.verifyAccessToken(t.accessToken) }
            #expect(engine.isRevoked(session: t.session) || c >= Timestamp(seconds: login.seconds + 10 + 2 + 1), "forgotten at \(c)")
        }
    }

    @Test("revoke, logoutAll and ban likewise, within the second of the token's issue", arguments: ["revoke", "logoutAll", "ban"])
    func everyEnding(kind: String) async throws {
        let f = EngineFixture { $0.lifetimes.accessToken = 10; $0.leewaySeconds = 2 }
        f.clock.set(Self.start.adding(microseconds: 200_000))
        let engine = try await f.open()
        let (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        f.clock.advance(microseconds: 700_000)
        let ended = f.clock.now()
        switch kind {
        case "revoke": try await engine.revoke(session: t.session, actor: "admin")
        case "logoutAll": try await engine.logoutAll(user: "alice")
        default: try await engine.ban(user: "alice", actor: "admin", reason: "test")
        }
        for c in Self.checkpoints(from: ended, to: ended.adding(seconds: 16)) {
            f.clock.set(c)
            #expect(throws: EngineError.self, "verified at \(c)") { try engine.verifyAccessToken(t.accessToken) }
        }
    }

    /// A session that expires just before the hourly sweep falls due, with an access-token
    /// lifetime longer than what is left of the session.
    static func expiringBeforeSweep(_ f: EngineFixture, _ engine: AuthEngine) async throws -> SessionTokens {
        // The first event sets the sweep an hour later.
        _ = try await engine.login(LoginRequest(user: "bystander", device: EngineFixture.laptop))
        f.clock.set(Self.start.adding(seconds: 3_600 - 25).adding(microseconds: 400_000))
        let (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        return t
    }

    static func shortSessions(_ c: inout EngineConfiguration) {
        c.lifetimes = SessionLifetimes(accessToken: 300, refreshToken: 20, idleTimeout: 20, absolute: 86_400)
        c.leewaySeconds = 2
    }

    @Test("no access token outlives its session: exp is at most the session's expiry")
    func tokensEndWithTheirSession() async throws {
        let f = EngineFixture(Self.shortSessions)
        f.clock.set(Self.start)
        let engine = try await f.open()
        let t = try await Self.expiringBeforeSweep(f, engine)
        let session = try #require(engine.session(t.session))
        #expect(t.accessTokenExpiresAt <= session.expiresAt)
        // A stateless verifier with no leeway refuses it once the session has expired.
        let verifier = AccessTokenVerifier(keys: engine.keys.jwks, policy: VerificationPolicy(issuer: "authledger", audience: "api", leewaySeconds: 0))
        _ = try verifier.verify(t.accessToken, now: session.expiresAt.seconds - 1)
        #expect(throws: TokenError.self) { try verifier.verify(t.accessToken, now: session.expiresAt.seconds + 1) }
        // The engine refuses it from the moment the session expires.
        f.clock.set(session.expiresAt.adding(microseconds: -1))
        _ = try engine.verifyAccessToken(t.accessToken)
        f.clock.set(session.expiresAt)
        #expect(throws: EngineError.self) { try engine.verifyAccessToken(t.accessToken) }
        #expect(!engine.isRevoked(session: t.session))   // expired, not revoked: no event ended it
    }

    @Test("ending a session that has just expired while the sweep falls due still refuses its tokens",
          arguments: ["logout", "revoke", "logoutAll", "ban"])
    func endingAnExpiredSessionAtTheSweep(kind: String) async throws {
        let f = EngineFixture(Self.shortSessions)
        f.clock.set(Self.start)
        let engine = try await f.open()
        let t = try await Self.expiringBeforeSweep(f, engine)
        // The session expired 5 s ago; this command's time is the sweep's.
        f.clock.set(Self.start.adding(seconds: 3_600).adding(microseconds: 300_000))
        switch kind {
        case "logout": try await engine.logout(session: t.session)
        case "revoke": try await engine.revoke(session: t.session, actor: "admin")
        case "logoutAll": try await engine.logoutAll(user: "alice")
        default: try await engine.ban(user: "alice", actor: "admin", reason: "test")
        }
        for c in Self.checkpoints(from: f.clock.now(), to: f.clock.now().adding(seconds: 10)) {
            f.clock.set(c)
            #expect(throws: EngineError.self, "verified at \(c)") { try engine.verifyAccessToken(t.accessToken) }
        }
    }

    @Test("a ban reaches a session that expired and was swept while its last access token was valid")
    func banAfterTheSweep() async throws {
        let f = EngineFixture(Self.shortSessions)
        f.clock.set(Self.start)
        let engine = try await f.open()
        let t = try await Self.expiringBeforeSweep(f, engine)
        // An unrelated event runs the sweep; then the ban.
        f.clock.set(Self.start.adding(seconds: 3_600).adding(microseconds: 100_000))
        _ = try await engine.login(LoginRequest(user: "carol", device: EngineFixture.laptop))
        f.clock.advance(microseconds: 700_000)
        try await engine.ban(user: "alice", actor: "admin", reason: "test")
        for c in Self.checkpoints(from: f.clock.now(), to: f.clock.now().adding(seconds: 10)) {
            f.clock.set(c)
            #expect(throws: EngineError.self, "verified at \(c)") { try engine.verifyAccessToken(t.accessToken) }
        }
    }

    @Test("answers about an expired session do not depend on when the sweep ran")
    func sweepIndependentAnswers() async throws {
        // Two engines, the same history, one of which has an extra event that runs the sweep.
        let quiet = EngineFixture(Self.shortSessions), busy = EngineFixture(Self.shortSessions)
        quiet.clock.set(Self.start); busy.clock.set(Self.start)
        let a = try await quiet.open(), b = try await busy.open()
        let ta = try await Self.expiringBeforeSweep(quiet, a)
        let tb = try await Self.expiringBeforeSweep(busy, b)
        busy.clock.set(Self.start.adding(seconds: 3_600 + 200))
        _ = try await b.login(LoginRequest(user: "carol", device: EngineFixture.laptop))
        for later in [Int64(10), 100, 200, 300, 400] {
            let now = Self.start.adding(seconds: 3_600 + later)
            quiet.clock.set(now); busy.clock.set(now)
            #expect(a.isRevoked(session: ta.session) == b.isRevoked(session: tb.session), "isRevoked at +\(later) s")
            let ra = await failure { _ = try await a.refresh(ta.refreshToken) }
            let rb = await failure { _ = try await b.refresh(tb.refreshToken) }
            #expect(ra == rb && ra != nil, "refresh at +\(later) s")
            #expect(a.refreshTokenStatus(ta.refreshToken) == b.refreshTokenStatus(tb.refreshToken), "status at +\(later) s")
        }
    }
}

/// The kind of engine error `body` throws, or nil if it succeeds.
func failure(_ body: () async throws -> Void) async -> EngineError.Kind? {
    do { try await body(); return nil } catch { return (error as? EngineError)?.kind }
}
