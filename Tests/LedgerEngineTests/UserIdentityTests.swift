import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// User ids are opaque byte strings: two ids that Swift's `String` calls equal (canonically
/// equivalent) but that differ in bytes are two users, everywhere.
@Suite("User identity is exact bytes")
struct UserIdentityTests {
    /// "José" with a precomposed é (U+00E9) and with e + combining acute (U+0301).
    static let composed = "Jos\u{E9}"
    static let decomposed = "Jose\u{301}"

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("the two spellings are equal Strings with different bytes (the premise of every test here)")
    func premise() {
        #expect(Self.composed == Self.decomposed)
        #expect(Self.bytes(Self.composed) != Self.bytes(Self.decomposed))
    }

    @Test("login, refresh and access tokens keep each user's own bytes; each sees only their own devices")
    func loginRefreshAndTokens() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (a, _) = try await engine.login(LoginRequest(user: Self.composed, device: EngineFixture.phone))
        f.clock.advance(microseconds: 250_001)
        let (b, _) = try await engine.login(LoginRequest(user: Self.decomposed, device: EngineFixture.laptop))
        #expect(Self.bytes(try engine.verifyAccessToken(a.accessToken).subject) == Self.bytes(Self.composed))
        #expect(Self.bytes(try engine.verifyAccessToken(b.accessToken).subject) == Self.bytes(Self.decomposed))
        f.clock.advance(seconds: 3)
        let b2 = try await engine.refresh(b.refreshToken)
        #expect(Self.bytes(try engine.verifyAccessToken(b2.accessToken).subject) == Self.bytes(Self.decomposed))

        let first = engine.activeSessions(user: Self.composed)
        let second = engine.activeSessions(user: Self.decomposed)
        #expect(first.map(\.id) == [a.session])
        #expect(second.map(\.id) == [b.session])
        #expect(first.map { Self.bytes($0.user) } == [Self.bytes(Self.composed)])
        #expect(second.map { Self.bytes($0.user) } == [Self.bytes(Self.decomposed)])
        #expect(engine.statistics.users == 2)
    }

    @Test("logoutAll and ban of one spelling leave the other user's sessions alone")
    func logoutAllAndBan() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (a, _) = try await engine.login(LoginRequest(user: Self.composed, device: EngineFixture.phone))
        let (b, _) = try await engine.login(LoginRequest(user: Self.decomposed, device: EngineFixture.phone))
        try await engine.logoutAll(user: Self.decomposed)
        #expect(engine.activeSessions(user: Self.composed).map(\.id) == [a.session])
        #expect(engine.isRevoked(session: b.session) && !engine.isRevoked(session: a.session))
        _ = try engine.verifyAccessToken(a.accessToken)

        let (b2, _) = try await engine.login(LoginRequest(user: Self.decomposed, device: EngineFixture.phone))
        try await engine.ban(user: Self.composed, actor: "admin", reason: "test")
        #expect(engine.isBanned(user: Self.composed) && !engine.isBanned(user: Self.decomposed))
        #expect(engine.isRevoked(session: a.session) && !engine.isRevoked(session: b2.session))
        _ = try await engine.login(LoginRequest(user: Self.decomposed, device: EngineFixture.laptop))
        await #expect { _ = try await engine.login(LoginRequest(user: Self.composed, device: EngineFixture.laptop)) }
            throws: { ($0 as? EngineError)?.kind == .userBanned }
    }

    @Test("the session limit counts each user's own sessions")
    func sessionLimit() async throws {
        let f = EngineFixture { $0.maxSessionsPerUser = 1 }
        let engine = try await f.open()
        let (a, _) = try await engine.login(LoginRequest(user: Self.composed, device: EngineFixture.phone))
        let (b, _) = try await engine.login(LoginRequest(user: Self.decomposed, device: EngineFixture.phone))
        #expect(!engine.isRevoked(session: a.session) && !engine.isRevoked(session: b.session))
        #expect(engine.activeSessions(user: Self.composed).count == 1)
        #expect(engine.activeSessions(user: Self.decomposed).count == 1)
    }

    @Test("the new-device rule knows each user's devices, and labels that differ in bytes are different devices")
    func newDeviceRule() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: Self.composed, device: EngineFixture.phone))
        // The other user's first login is never "a new device" (it is their first), and the
        // same device for the first user again is not new either.
        _ = try await engine.login(LoginRequest(user: Self.decomposed, device: EngineFixture.laptop))
        _ = try await engine.login(LoginRequest(user: Self.composed, device: EngineFixture.phone))
        #expect(try EngineFixture.count(engine) { $0.flag == .newDevice } == 0)
        // A label canonically equal to "Café" but with other bytes is another device, and is
        // shown back with its own bytes.
        let cafe1 = Device(label: "Caf\u{E9}", userAgent: "UA")
        let cafe2 = Device(label: "Cafe\u{301}", userAgent: "UA")
        let (s1, _) = try await engine.login(LoginRequest(user: "dana", device: cafe1))
        let (s2, _) = try await engine.login(LoginRequest(user: "dana", device: cafe2))
        #expect(try EngineFixture.count(engine) { $0.flag == .newDevice } == 1)
        let labels = Dictionary(uniqueKeysWithValues: engine.activeSessions(user: "dana").map { ($0.id, Self.bytes($0.deviceLabel)) })
        #expect(labels[s1.session] == Self.bytes(cafe1.label))
        #expect(labels[s2.session] == Self.bytes(cafe2.label))
    }

    @Test("snapshots and a full replay keep the two users apart", arguments: [true, false])
    func snapshotsAndReplay(fromSnapshot: Bool) async throws {
        var f = EngineFixture()
        let a: SessionTokens, b: SessionTokens, digest: SHA256Digest
        do {
            let engine = try await f.open()
            (a, _) = try await engine.login(LoginRequest(user: Self.composed, device: EngineFixture.phone))
            (b, _) = try await engine.login(LoginRequest(user: Self.decomposed, device: EngineFixture.laptop))
            try await engine.ban(user: Self.decomposed, actor: "admin", reason: "test")
            digest = engine.projectionDigest
            try await engine.shutdown()
        }
        f.configuration.startFromSnapshot = fromSnapshot
        let reopened = try await f.open()
        #expect(reopened.startup.snapshotPosition != nil || !fromSnapshot)
        #expect(reopened.projectionDigest == digest)
        #expect(reopened.activeSessions(user: Self.composed).map(\.id) == [a.session])
        #expect(reopened.activeSessions(user: Self.decomposed).isEmpty)
        #expect(reopened.isRevoked(session: b.session) && !reopened.isRevoked(session: a.session))
        #expect(!reopened.isBanned(user: Self.composed) && reopened.isBanned(user: Self.decomposed))
        #expect(try reopened.history(user: Self.composed).count == 1)
        #expect(try reopened.history(user: Self.decomposed).count == 3)
    }
}
