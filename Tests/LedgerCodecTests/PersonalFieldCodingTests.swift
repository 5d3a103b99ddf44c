import LedgerCodec
import Testing

@Suite("Personal fields: schema 2 coding, schema 1 still read")
struct PersonalFieldCodingTests {
    static let s = SessionID(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
    static let nonce: [UInt8] = Array(1...12)

    static let schema2: [AuthEvent] = [
        .sessionStarted(SessionStarted(session: s, label: .sealed([1, 2, 3]), userAgent: .sealed(Array(repeating: 0xee, count: 300)),
                                       ip: .sealed(.v6(7, 9)), deviceFingerprint: 0xdead_beef_0bad_f00d, lifetimes: SessionLifetimes())),
        .sessionStarted(SessionStarted(session: s, label: .sealed([]), userAgent: .sealed([]), ip: .sealed(.unknown),
                                       deviceFingerprint: 0, lifetimes: SessionLifetimes(accessToken: 60))),
        .refreshRotated(RefreshRotated(session: s, generation: 70_000, address: .sealed(.v4(0x1234_5678)))),
        .refreshReuseDetected(RefreshReuseDetected(session: s, presentedGeneration: 3, currentGeneration: 9, classification: .staleLineage,
                                                   address: .sealed(.v6(1, 2)))),
        .suspiciousActivity(SuspiciousActivity(session: s, nonce: nonce, finding: .newDevice(label: .sealed([9, 9]), userAgent: .sealed([8])))),
        .suspiciousActivity(SuspiciousActivity(session: s, nonce: nonce, finding: .networkChange(ip: .sealed(.v4(1)), previous: .sealed(.v6(3, 4))))),
        .suspiciousActivity(SuspiciousActivity(session: s, nonce: nonce, finding: .tooManySessions(active: 11, threshold: 10))),
        .suspiciousActivity(SuspiciousActivity(session: nil, nonce: nonce,
                                               finding: .refreshReuse(classification: .orphanedBranch, presented: 5, current: 4, ip: .sealed(.unknown)))),
        .userForgotten(UserForgotten(actor: "admin:jo")),
    ]

    static func roundTrip(_ e: AuthEvent) throws -> AuthEvent {
        let pending = e.pending(user: "alice")
        return try AuthEvent.decode(type: pending.type, schemaVersion: pending.schemaVersion, payload: pending.payload)
    }

    @Test("schema 2 events round-trip and are written as schema 2", arguments: schema2)
    func roundTrips(event: AuthEvent) throws {
        #expect(event.schemaVersion == (event.type == .userForgotten ? 1 : 2))
        #expect(try Self.roundTrip(event) == event)
    }

    @Test("user.forgotten is type 15, a user event")
    func forgottenCode() {
        #expect(EventType.userForgotten.rawValue == 15)
        #expect(EventType.userForgotten.belongsToUser)
        #expect(EventType(name: "user.forgotten") == .userForgotten)
    }

    @Test("a sealed rotation address costs no byte more than the clear one")
    func rotationSize() {
        let clear = AuthEvent.refreshRotated(RefreshRotated(session: Self.s, generation: 1000, ip: .v4(0xc000_0207)))
        let sealed = AuthEvent.refreshRotated(RefreshRotated(session: Self.s, generation: 1000, address: .sealed(.v4(0x9f3a_11c2))))
        #expect(clear.schemaVersion == 1 && sealed.schemaVersion == 2)
        #expect(sealed.encodePayload().count == clear.encodePayload().count)
        #expect(sealed.encodePayload().count == 16 + 2 + 5)
    }

    /// Schema 1 payloads written byte by byte, as builds before schema 2 wrote them.
    @Test("schema 1 records still decode, with their fields in clear")
    func schema1() throws {
        var w = ByteWriter()
        w.sessionID(Self.s); w.string("iPhone"); w.string("Safari/17"); w.ip(.v4(0x0a00_0001))
        for v: UInt64 in [300, 604_800, 604_800, 2_592_000] { w.varint(v) }
        let started = try AuthEvent.decode(type: 1, schemaVersion: 1, payload: w.bytes)
        #expect(started == .sessionStarted(SessionStarted(session: Self.s, device: Device(label: "iPhone", userAgent: "Safari/17", ip: .v4(0x0a00_0001)),
                                                          lifetimes: SessionLifetimes())))
        guard case let .sessionStarted(e) = started else { return }
        #expect(e.label == .clear("iPhone") && e.deviceFingerprint == nil)

        w = ByteWriter(); w.sessionID(Self.s); w.varint(7); w.ip(.v4(0x0a00_0002))
        #expect(try AuthEvent.decode(type: 2, schemaVersion: 1, payload: w.bytes)
            == .refreshRotated(RefreshRotated(session: Self.s, generation: 7, ip: .v4(0x0a00_0002))))

        w = ByteWriter(); w.sessionID(Self.s); w.varint(3); w.varint(9); w.u8(2); w.ip(.unknown)
        #expect(try AuthEvent.decode(type: 3, schemaVersion: 1, payload: w.bytes)
            == .refreshReuseDetected(RefreshReuseDetected(session: Self.s, presentedGeneration: 3, currentGeneration: 9, classification: .staleLineage, ip: .unknown)))

        w = ByteWriter(); w.u8(1); w.u8(1); w.sessionID(Self.s); w.string("first login from \"iPhone\" (Safari/17)")
        let flag = try AuthEvent.decode(type: 12, schemaVersion: 1, payload: w.bytes)
        #expect(flag == .suspiciousActivity(SuspiciousActivity(rule: .newDevice, session: Self.s, detail: "first login from \"iPhone\" (Safari/17)")))
        #expect(flag.schemaVersion == 1)
    }

    @Test("a schema 2 flag whose fields do not match its rule is refused, not guessed")
    func mismatchedFlag() {
        // Rule network-change (2) followed by a new-device body (two strings).
        var w = ByteWriter(); w.u8(2); w.u8(0); w.raw(Self.nonce); w.lengthPrefixed([1, 2]); w.lengthPrefixed([3])
        #expect(throws: (any Error).self) { _ = try AuthEvent.decode(type: 12, schemaVersion: 2, payload: w.bytes) }
    }

    @Test("text and summaries never show ciphertext, and say erased when erased")
    func text() {
        let sealed = AuthEvent.sessionStarted(SessionStarted(session: Self.s, label: .sealed([0x41]), userAgent: .sealed([0x42]), ip: .sealed(.v4(5)),
                                                             deviceFingerprint: 1, lifetimes: SessionLifetimes()))
        #expect(sealed.summary == "device=(encrypted) ip=(encrypted) ua=(encrypted)")
        let erased = AuthEvent.sessionStarted(SessionStarted(session: Self.s, label: .erased, userAgent: .erased, ip: .erased,
                                                             deviceFingerprint: 1, lifetimes: SessionLifetimes()))
        #expect(erased.summary == "device=(erased) ip=(erased) ua=(erased)")
        // A label that spells a marker is quoted, so it cannot pass for one.
        #expect(PersonalText.clear("(erased)").description == "\"(erased)\"")
    }
}
