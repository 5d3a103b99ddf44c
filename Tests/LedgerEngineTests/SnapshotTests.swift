import Glibc
import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

@Suite("Snapshots and start-up")
struct SnapshotTests {
    /// Logs users in and out, refreshing some, advancing the clock.
    static func workload(_ engine: AuthEngine, _ clock: ManualClock, users: Range<Int>) async throws {
        for i in users {
            let (t, _) = try await engine.login(LoginRequest(user: "u\(i % 7)", device: Device(label: "d\(i % 3)")))
            clock.advance(seconds: 5)
            if i % 2 == 0 { _ = try await engine.refresh(t.refreshToken) }
            if i % 5 == 0 { try await engine.logout(session: t.session) }
        }
    }

    @Test("start-up loads the newest snapshot and replays only what follows, to the same state")
    func startFromSnapshot() async throws {
        let f = EngineFixture()
        var digest = SHA256Digest.zero
        var snapshotAt: UInt64 = 0
        var head: UInt64 = 0
        do {
            let engine = try await f.open()
            try await Self.workload(engine, f.clock, users: 0..<40)
            // A user known only by a ban (no session names them) is kept by name too.
            try await engine.ban(user: "never-logged-in", actor: "admin", reason: "test")
            snapshotAt = try await engine.snapshot().position
            try await Self.workload(engine, f.clock, users: 40..<60)
            digest = engine.projectionDigest
            head = try engine.log.head().position
        }
        let reopened = try await f.open()
        #expect(reopened.startup.snapshotPosition == snapshotAt)
        #expect(reopened.startup.replayedEvents == head - snapshotAt)
        #expect(reopened.projectionDigest == digest)
        #expect(reopened.isBanned(user: "never-logged-in"))
        #expect(reopened.statistics.users == 8)
    }

    @Test("a corrupt, truncated or foreign snapshot is skipped for an older one, or for a full replay",
          arguments: ["flip", "truncate", "foreign"])
    func badSnapshotsAreSkipped(damage: String) async throws {
        let f = EngineFixture()
        var digest = SHA256Digest.zero
        var older: UInt64 = 0
        var newest: SnapshotInfo?
        do {
            let engine = try await f.open()
            try await Self.workload(engine, f.clock, users: 0..<20)
            older = try await engine.snapshot().position
            try await Self.workload(engine, f.clock, users: 20..<40)
            newest = try await engine.snapshot()
            try await Self.workload(engine, f.clock, users: 40..<45)
            digest = engine.projectionDigest
        }
        let newestInfo = try #require(newest)
        var bytes = try [UInt8](contentsOf: newestInfo.path)
        switch damage {
        case "flip": bytes[bytes.count / 2] ^= 0x40
        case "truncate": bytes.removeLast(100)
        default:
            // A well-formed snapshot of another history: same position, different chain.
            let other = EngineFixture()
            let engine = try await other.open()
            try await Self.workload(engine, other.clock, users: 0..<200)
            var p = SessionProjection()
            try p.advance(in: engine.log, through: newestInfo.position)
            // Under this data directory's key, so that it is the chain check that refuses it.
            let store = SnapshotStore(dataDirectory: other.dir.path, key: try SnapshotKey.read(dataDirectory: f.dir.path))
            let info = try store.write(p, chainHash: try engine.log.record(at: newestInfo.position)!.chainHash)
            bytes = try [UInt8](contentsOf: info.path)
        }
        try bytes.write(to: newestInfo.path)
        let reopened = try await f.open()
        #expect(reopened.startup.snapshotPosition == older)
        #expect(reopened.projectionDigest == digest)

        // With every snapshot unusable, start-up replays the whole log.
        let store = SnapshotStore.forReading(dataDirectory: f.dir.path)
        for s in store.list() { try [UInt8]([1, 2, 3]).write(to: s.path) }
        _ = consume reopened
        let full = try await f.open()
        #expect(full.startup.snapshotPosition == nil)
        #expect(full.projectionDigest == digest)
    }

    @Test("snapshots are taken every N events and at shutdown, and pruned to the configured count")
    func scheduledSnapshots() async throws {
        let f = EngineFixture { c in
            c.snapshotEveryEvents = 25
            c.snapshotsToKeep = 2
        }
        let engine = try await f.open()
        try await Self.workload(engine, f.clock, users: 0..<60)
        let head = try engine.log.head().position
        try await engine.shutdown()
        let store = SnapshotStore.forReading(dataDirectory: f.dir.path)
        let list = store.list()
        #expect(list.count == 2)
        #expect(list.first?.position == head)
    }

    @Test("point-in-time replay gives the sessions that were active at that moment")
    func pointInTime() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        var captured: [(Timestamp, [String: [SessionID]])] = []
        for round in 0..<6 {
            try await Self.workload(engine, f.clock, users: (round * 10)..<(round * 10 + 10))
            if round % 2 == 1 { try await engine.logoutAll(user: "u\(round)") }
            f.clock.advance(seconds: 1)
            let moment = f.clock.now()
            captured.append((moment, Dictionary(uniqueKeysWithValues: (0..<7).map { u in
                ("u\(u)", engine.activeSessions(user: "u\(u)").map(\.id))
            })))
            f.clock.advance(seconds: 1)
        }
        for (moment, expected) in captured {
            var p = SessionProjection()
            try p.advance(in: engine.log, until: moment)
            for (user, sessions) in expected {
                #expect(p.activeSessions(user: user, at: moment, personalData: engine.personalData).map(\.id) == sessions, "\(user) at \(moment)")
            }
        }
    }
}

extension Array where Element == UInt8 {
    init(contentsOf path: String) throws {
        guard let f = fopen(path, "rb") else { throw CLITestError("cannot open \(path)") }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out += buf[..<n]
        }
        self = out
    }

    func write(to path: String) throws {
        guard let f = fopen(path, "wb") else { throw CLITestError("cannot write \(path)") }
        defer { fclose(f) }
        _ = withUnsafeBytes { fwrite($0.baseAddress, 1, count, f) }
    }
}

struct CLITestError: Error { let message: String; init(_ m: String) { message = m } }

@Suite("Hostile input")
struct HostileInputTests {
    @Test("a snapshot with a doctored count and a recomputed MAC is refused, not allocated")
    func doctoredSnapshotCount() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let store = SnapshotStore.forReading(dataDirectory: f.dir.path)
        let info = try store.write(SessionProjection(revocationSlackSeconds: 30), chainHash: .zero)
        var bytes = try [UInt8](contentsOf: info.path)
        // Empty projection: the session count sits after the header (60 bytes), three
        // timestamps and three empty table counts.
        let offset = 60 + 24 + 24
        for i in 0..<8 { bytes[offset + i] = i < 4 ? 0xff : 0 }
        bytes.removeLast(32)
        bytes += try HMACSHA256(key: try [UInt8](contentsOf: SnapshotKey.path(dataDirectory: f.dir.path))).authenticate(bytes: bytes)
        try bytes.write(to: info.path)
        #expect { _ = try store.load(info, matching: engine.log) } throws: { "\($0)".contains("implausible session count") }
    }

    @Test("extreme timestamps format without trapping")
    func extremeTimestamps() {
        for t in [Timestamp(microseconds: .min), Timestamp(microseconds: .max), Timestamp(seconds: -99_999_999_999_999), Timestamp(seconds: .max)] {
            #expect(!t.description.isEmpty)
            _ = t.seconds
        }
        #expect(Timestamp(microseconds: -1).seconds == -1)
        #expect(Timestamp(microseconds: -1).description.hasSuffix(".999999Z"))
    }
}
