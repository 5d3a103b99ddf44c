import LedgerCodec
import LedgerLog
import LedgerTesting
import Testing

@Suite("Event encoding")
struct EventCodingTests {
    static let samples: [AuthEvent] = {
        let s = SessionID(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        return [
            .sessionStarted(SessionStarted(session: s, device: Device(label: "iPhone", userAgent: "Safari/17", ip: IPAddress("2001:db8::1")!), lifetimes: SessionLifetimes())),
            .refreshRotated(RefreshRotated(session: s, generation: 70_000, ip: IPAddress("192.0.2.7")!)),
            .refreshReuseDetected(RefreshReuseDetected(session: s, presentedGeneration: 3, currentGeneration: 9, classification: .staleLineage, ip: .unknown)),
            .sessionEnded(SessionEnded(session: s)),
            .sessionRevoked(SessionRevoked(session: s, reason: .admin, actor: "admin:ops")),
            .userSessionsRevoked(UserSessionsRevoked(except: s, reason: .passwordChange, actor: "user")),
            .userSessionsRevoked(UserSessionsRevoked(except: nil, reason: .logoutAll, actor: "user")),
            .userBanned(UserBanned(actor: "admin", reason: "fraud")),
            .userUnbanned(UserUnbanned(actor: "admin")),
            .signingKeyAdded(SigningKeyAdded(kid: "k1", algorithm: "ES256", publicJWK: #"{"kty":"EC"}"#)),
            .signingKeyActivated(SigningKeyChanged(kid: "k1")),
            .signingKeyRetired(SigningKeyChanged(kid: "k0")),
            .suspiciousActivity(SuspiciousActivity(rule: .newDevice, session: s, detail: "first login from iPhone")),
        ]
    }()

    @Test("every event type round-trips through the log", arguments: samples)
    func roundTrip(event: AuthEvent) async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try await log.append(event.pending(user: "alice"))
        let record = try #require(try log.record(at: 1))
        let decoded = try LoggedEvent(record)
        #expect(decoded.event == event)
        #expect(decoded.user == (event.belongsToUser ? "alice" : nil))
    }

    @Test("a refresh-rotation record is compact")
    func rotationSize() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try await log.append(rotation("user-123456", generation: 1000))
        // 12 header + 11 user + 16 session + 2 generation + 5 address + 32 hash.
        #expect(try #require(try log.record(at: 1)).storedBytes.count == 78)
    }

    @Test("unknown types, newer versions and malformed payloads fail with the position")
    func decodingErrors() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try await log.append([
            rotation("a", generation: 1),
            PendingEvent(type: 200, schemaVersion: 1, user: "a", payload: [1, 2, 3]),
            PendingEvent(type: EventType.refreshRotated.rawValue, schemaVersion: 9, user: "a", payload: []),
            PendingEvent(type: EventType.refreshRotated.rawValue, schemaVersion: 1, user: "a", payload: [1, 2]),
            PendingEvent(type: EventType.sessionEnded.rawValue, schemaVersion: 1, user: "a", payload: [UInt8](repeating: 0, count: 17)),
            PendingEvent(type: EventType.sessionEnded.rawValue, schemaVersion: 1, user: nil, payload: [UInt8](repeating: 0, count: 16)),
        ])
        var errors: [EventDecodingError] = []
        try log.scan { view in
            do { _ = try AuthEvent(decoding: view) } catch let e as EventDecodingError { errors.append(e) }
            return true
        }
        #expect(errors.map(\.position) == [2, 3, 4, 5, 6])
        #expect(errors[0].kind == .unknownType(200))
        #expect(errors[1].kind == .unsupportedVersion(type: .refreshRotated, version: 9))
        guard case .malformed(.refreshRotated, .truncated) = errors[2].kind else { Issue.record("\(errors[2])"); return }
        guard case .malformed(.sessionEnded, .malformed) = errors[3].kind else { Issue.record("\(errors[3])"); return }
        #expect(errors[4].kind == .userMismatch(type: .sessionEnded))
        #expect(errors[0].description.contains("position 2"))
    }

    @Test("IP addresses parse, print and reduce to their network")
    func addresses() {
        #expect(IPAddress("10.1.2.3")?.description == "10.1.2.3")
        #expect(IPAddress("10.1.2.3")?.network == IPAddress("10.1.2.0"))
        #expect(IPAddress("2001:db8::1")?.description == "2001:db8:0:0:0:0:0:1")
        #expect(IPAddress("2001:db8:1:2::1")?.network == IPAddress("2001:db8:1::"))
        for bad in ["1.2.3", "256.1.1.1", "1.2.3.4.5", "::1::2", "12345::", "x"] { #expect(IPAddress(bad) == nil, "\(bad)") }
    }
}

@Suite("Session ids")
struct SessionIDTests {
    @Test("ids print as 32 lower-case hex digits, big-endian, and parse back in either case; anything else is refused")
    func hexRoundTrip() {
        let id = SessionID(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        #expect(id.description == "0123456789abcdeffedcba9876543210")
        #expect(id.bytes == [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10])
        #expect(SessionID(hex: "0123456789ABCDEFfedcba9876543210") == id)
        #expect(SessionID(bytes: id.bytes[...]) == id)
        for _ in 0..<1_000 {
            let r = SessionID.random()
            #expect(SessionID(hex: r.description) == r)
            #expect(r.description == r.bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined())
        }
        for bad in ["", "0123", String(repeating: "0", count: 31), String(repeating: "0", count: 33), "0123456789abcdeffedcba987654321g", "0123456789abcdef fedcba987654321"] {
            #expect(SessionID(hex: bad) == nil, "\(bad)")
        }
        #expect(SessionID(hex: "0123456789abcdeffedcba98765432é") == nil)
    }
}
