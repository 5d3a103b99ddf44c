import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// Every record the writer accepts can be read back: each free-form field is bounded on
/// write, at the documented limit, in bytes.
@Suite("Field limits")
struct FieldLimitTests {
    /// `bytes` bytes of UTF-8 made of two-byte characters (plus one ASCII byte when odd), so
    /// that a limit counted in characters instead of bytes would be caught.
    static func text(_ bytes: Int) -> String {
        String(repeating: "\u{E9}", count: bytes / 2) + (bytes % 2 == 1 ? "x" : "")
    }

    @Test("the longest accepted value of every field is committed, survives reopening with and without a snapshot, and reads back",
          arguments: [true, false])
    func longestValuesReadBack(fromSnapshot: Bool) async throws {
        var f = EngineFixture()
        let user = Self.text(FieldLimits.user)
        let device = Device(label: Self.text(FieldLimits.deviceLabel), userAgent: Self.text(FieldLimits.userAgent),
                            ip: IPAddress("2001:db8::1")!)
        let other = Device(label: Self.text(FieldLimits.deviceLabel - 1), userAgent: Self.text(FieldLimits.userAgent))
        let actor = Self.text(FieldLimits.actor)
        let reason = Self.text(FieldLimits.banReason)
        // Custom claims at their limit: {"r":"…"} serialises to exactly the limit.
        let claims: [String: JSONValue] = ["r": .string(String(repeating: "a", count: FieldLimits.customClaims - 8))]
        var written: [LoggedEvent] = []
        do {
            let engine = try await f.open()
            let (t, _) = try await engine.login(LoginRequest(user: user, device: device, customClaims: claims))
            #expect(try engine.verifyAccessToken(t.accessToken).custom == claims)
            _ = try await engine.login(LoginRequest(user: user, device: other))   // a new-device flag quoting both fields
            try await engine.revoke(session: t.session, actor: actor)
            try await engine.ban(user: user, actor: actor, reason: reason)
            try await engine.unban(user: user, actor: actor)
            try await engine.logoutAll(user: user, actor: actor)
            written = try engine.history(user: user)
            try await engine.shutdown()
        }
        #expect(written.count == 8)
        #expect(written.contains { $0.event.flag == .newDevice })
        f.configuration.startFromSnapshot = fromSnapshot
        let reopened = try await f.open()
        #expect(try reopened.history(user: user) == written)
        let started = try #require(written.first { if case .sessionStarted = $0.event { true } else { false } })
        guard case let .sessionStarted(s) = started.event else { return }
        #expect(s.label == .clear(device.label))
        #expect(s.userAgent == .clear(device.userAgent))
        #expect(Array(try #require(started.user).utf8) == Array(user.utf8))
    }

    @Test("one byte over any limit is an invalidRequest, and nothing is written")
    func overLimits() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let (t, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let head = try engine.log.head().position
        func refused(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
            do {
                try await body()
                Issue.record("accepted", sourceLocation: sourceLocation)
            } catch {
                #expect((error as? EngineError)?.kind == .invalidRequest, sourceLocation: sourceLocation)
            }
        }
        let long = { (n: Int) in Self.text(n + 1) }
        await refused { _ = try await engine.login(LoginRequest(user: long(FieldLimits.user), device: EngineFixture.phone)) }
        await refused { _ = try await engine.login(LoginRequest(user: "", device: EngineFixture.phone)) }
        await refused { _ = try await engine.login(LoginRequest(user: "bob", device: Device(label: long(FieldLimits.deviceLabel)))) }
        await refused { _ = try await engine.login(LoginRequest(user: "bob", device: Device(label: "x", userAgent: long(FieldLimits.userAgent)))) }
        let bigClaims: [String: JSONValue] = ["r": .string(String(repeating: "a", count: FieldLimits.customClaims - 7))]
        await refused { _ = try await engine.login(LoginRequest(user: "bob", device: EngineFixture.phone, customClaims: bigClaims)) }
        await refused { _ = try await engine.refresh(t.refreshToken, customClaims: bigClaims) }
        await refused { try await engine.revoke(session: t.session, actor: long(FieldLimits.actor)) }
        await refused { try await engine.revoke(session: t.session, actor: "") }
        await refused { try await engine.ban(user: "alice", actor: long(FieldLimits.actor), reason: "r") }
        await refused { try await engine.ban(user: "alice", actor: "admin", reason: long(FieldLimits.banReason)) }
        await refused { try await engine.unban(user: "alice", actor: long(FieldLimits.actor)) }
        await refused { try await engine.logoutAll(user: "alice", actor: long(FieldLimits.actor)) }
        await refused { try await engine.logoutAll(user: long(FieldLimits.user)) }
        #expect(try engine.log.head().position == head)
        #expect(engine.refreshTokenStatus(t.refreshToken) == .current)
    }
}
