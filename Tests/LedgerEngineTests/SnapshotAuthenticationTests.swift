import Glibc
import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import Testing

/// A snapshot file as bytes: header (60), body, 32-byte trailer (a MAC since format 2, a
/// plain SHA-256 before).
struct SnapshotBytes {
    static let headerSize = 60
    var bytes: [UInt8]

    init(path: String) throws { bytes = try [UInt8](contentsOf: path) }
    init(bytes: [UInt8]) { self.bytes = bytes }

    var body: [UInt8] { Array(bytes[Self.headerSize..<(bytes.count - 32)]) }
    var header: [UInt8] { Array(bytes[..<Self.headerSize]) }

    /// Replaces the body, fixing the announced length; the trailer is left for `reseal…`.
    mutating func replaceBody(_ body: [UInt8]) {
        var h = header
        var length = UInt64(body.count).littleEndian
        withUnsafeBytes(of: &length) { for i in 0..<8 { h[52 + i] = $0[i] } }
        bytes = h + body + [UInt8](repeating: 0, count: 32)
    }

    /// What an attacker who cannot read `keys/` does: recomputes the plain checksum.
    mutating func resealWithChecksum() {
        bytes.removeLast(32)
        bytes += SHA256.hash(bytes).bytes
    }

    /// What only the key's holder can do: recomputes the MAC.
    mutating func resealWithKey(of dataDirectory: String) throws {
        bytes.removeLast(32)
        bytes += try HMACSHA256(key: try [UInt8](contentsOf: dataDirectory + "/keys/snapshot.key")).authenticate(bytes: bytes)
    }

    /// The file offsets at which `needle` occurs in the body, first to last.
    func offsets(of needle: [UInt8]) -> [Int] {
        guard bytes.count - 32 - needle.count >= Self.headerSize else { return [] }
        return (Self.headerSize...(bytes.count - 32 - needle.count)).filter { i in
            bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle
        }
    }
}

func leBytes(_ id: SessionID) -> [UInt8] {
    var h = id.high.littleEndian, l = id.low.littleEndian
    return withUnsafeBytes(of: &h) { Array($0) } + withUnsafeBytes(of: &l) { Array($0) }
}

@Suite("Authenticated snapshots")
struct SnapshotAuthenticationTests {
    /// mallory banned, bob's session revoked, alice's session at generation 3; a snapshot of
    /// that, then a few more events to replay after it.
    struct Story {
        let f = EngineFixture()
        var alice: SessionTokens!
        var aliceFirst: SessionTokens!
        var bob: SessionID!
        var before: SnapshotInfo!
        var snapshot: SnapshotInfo!
        var digest = SHA256Digest.zero

        init() async throws {
            let engine = try await f.open()
            try await SnapshotTests.workload(engine, f.clock, users: 0..<10)
            _ = try await engine.login(LoginRequest(user: "mallory", device: EngineFixture.phone))
            bob = try await engine.login(LoginRequest(user: "bob", device: EngineFixture.laptop)).tokens.session
            aliceFirst = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone)).tokens
            alice = aliceFirst
            before = try await engine.snapshot()
            for _ in 0..<2 {
                f.clock.advance(seconds: 60)
                alice = try await engine.refresh(alice.refreshToken)
            }
            try await engine.ban(user: "mallory", actor: "admin", reason: "fraud")
            try await engine.revoke(session: bob, actor: "admin")
            snapshot = try await engine.snapshot()
            try await SnapshotTests.workload(engine, f.clock, users: 10..<15)
            digest = engine.projectionDigest
        }
    }

    @Test("an edited snapshot with its checksum recomputed is skipped at open, and the state equals a full replay's",
          arguments: ["lift a ban", "resurrect a revoked session", "roll back a generation"])
    func editedSnapshotIsSkipped(edit: String) async throws {
        let story = try await Story()
        var file = try SnapshotBytes(path: story.snapshot.path)
        switch edit {
        case "lift a ban":
            // mallory's user record: her name (length 7), then the banned flag.
            let at = try #require(file.offsets(of: [7] + Array("mallory".utf8)).last)
            #expect(file.bytes[at + 8] == 1)
            file.bytes[at + 8] = 0
        case "resurrect a revoked session":
            // The body of the snapshot from before the revocation, under the later header.
            file.replaceBody(try SnapshotBytes(path: story.before.path).body)
        default:
            // alice's session record: id, created, rotated, IP (16), sealed flag, login position,
            // user, device, then the generation. The sessions table comes before the users' lists.
            let at = try #require(file.offsets(of: leBytes(story.alice.session)).first)
            #expect(file.bytes[at + 65] == 3)
            file.bytes[at + 65] = 1
        }
        file.resealWithChecksum()
        try file.bytes.write(to: story.snapshot.path)

        let reopened = try await story.f.open()
        #expect(reopened.startup.snapshotPosition != story.snapshot.position)
        #expect(reopened.projectionDigest == story.digest)
        #expect(reopened.isBanned(user: "mallory"))
        #expect(reopened.session(story.bob) == nil)
        // alice's first refresh token is stale (generation 1 of 3): presenting it is reuse.
        do {
            _ = try await reopened.refresh(story.aliceFirst.refreshToken)
            Issue.record("a stale refresh token was accepted")
        } catch {
            #expect(error.kind == .refreshTokenReused(.staleLineage), "\(error)")
        }
    }

    @Test("two snapshots written at the same position at the same time both succeed")
    func concurrentWritersOfOnePosition() async throws {
        let f = EngineFixture()
        var head: UInt64 = 0
        do {
            let engine = try await f.open()
            try await SnapshotTests.workload(engine, f.clock, users: 0..<3_000)
            head = try engine.log.head().position
            for _ in 0..<10 {
                try await withThrowingTaskGroup(of: SnapshotInfo.self) { group in
                    for _ in 0..<4 { group.addTask { try await engine.snapshot() } }
                    for try await info in group { #expect(info.position == head) }
                }
            }
        }
        let reopened = try await f.open()
        #expect(reopened.startup.snapshotPosition == head)
        let leftovers = directoryEntries(f.dir.path + "/snapshots").filter { !$0.hasSuffix(".alsnap") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("temporary snapshot files left by a crash are removed at open")
    func leftoverTemporaryFilesAreRemoved() async throws {
        let f = EngineFixture()
        do {
            let engine = try await f.open()
            try await SnapshotTests.workload(engine, f.clock, users: 0..<10)
            try await engine.shutdown()
        }
        let dir = f.dir.path + "/snapshots"
        let leftovers = ["snapshot-00000000000000000040.alsnap.tmp-9f3c2a1b0e4d5f60", "snapshot-00000000000000000041.alsnap.tmp-4242"]
        for name in leftovers { try [UInt8](repeating: 7, count: 100).write(to: dir + "/" + name) }
        let reopened = try await f.open()
        #expect(reopened.startup.snapshotPosition != nil)
        for name in leftovers { #expect(access(dir + "/" + name, F_OK) != 0, "\(name) is still there") }
    }

    @Test("format-1 and format-2 snapshots are refused as old, with their reasons, and the engine replays the log", arguments: [UInt8(1), 2])
    func oldFormatIsRefused(format: UInt8) async throws {
        let story = try await Story()
        let store = SnapshotStore.forReading(dataDirectory: story.f.dir.path)
        for info in store.list() {
            var file = try SnapshotBytes(path: info.path)
            file.bytes[8] = format
            if format == 1 { file.resealWithChecksum() } else { try file.resealWithKey(of: story.f.dir.path) }
            try file.bytes.write(to: info.path)
        }
        let reopened = try await story.f.open()
        #expect(reopened.startup.snapshotPosition == nil)
        #expect(reopened.projectionDigest == story.digest)
        #expect(throws: SnapshotError.self) { _ = try store.load(story.snapshot, matching: reopened.log) }
        do { _ = try store.load(story.snapshot, matching: reopened.log) } catch {
            #expect(error.kind == .oldFormat && error.reason.contains("format \(format)"), "\(error)")
            if format == 2 { #expect(error.reason.contains("personal data")) }
        }
    }

    @Test("without the snapshot key the engine replays and makes a new key; a key others can read is not used")
    func missingOrExposedKey() async throws {
        let story = try await Story()
        let keyPath = SnapshotKey.path(dataDirectory: story.f.dir.path)
        let old = try [UInt8](contentsOf: keyPath)
        unlink(keyPath)
        do {
            let reopened = try await story.f.open()
            #expect(reopened.startup.snapshotPosition == nil)
            #expect(reopened.projectionDigest == story.digest)
            var st = stat()
            #expect(stat(keyPath, &st) == 0 && st.st_mode & 0o777 == 0o600)
            #expect(try [UInt8](contentsOf: keyPath) != old)
            try await reopened.shutdown()
        }
        chmod(keyPath, 0o644)
        let exposed = try await story.f.open()
        #expect(exposed.startup.snapshotPosition == nil)
        #expect(exposed.projectionDigest == story.digest)
        do {
            _ = try await exposed.snapshot()
            Issue.record("a snapshot was written under a key others can read")
        } catch let e as SnapshotError {
            #expect(e.kind == .keyUnavailable && e.reason.contains("readable by group or others"), "\(e)")
        }
    }

    /// A snapshot at position 0 (no log check) of `body`, under the key of `dir`.
    static func sealed(_ body: [UInt8], dir: String) throws -> [UInt8] {
        var w = ByteWriter(capacity: 128 + body.count)
        w.raw(Array("ALSNAP\r\n".utf8))
        w.u32(3)
        w.u64(0)
        w.raw([UInt8](repeating: 0, count: 32))
        w.u64(UInt64(body.count))
        w.raw(body)
        var file = SnapshotBytes(bytes: w.bytes + [UInt8](repeating: 0, count: 32))
        try file.resealWithKey(of: dir)
        return file.bytes
    }

    /// The parts of a small, valid body, each of which a case below damages.
    struct Body {
        var slack: Int64 = 30
        var names = ["alice", "bob"]
        var devices = [("iPhone", "Safari")]
        var lifetimes: [[UInt32]] = [[300, 604_800, 604_800, 2_592_000]]
        var sessions: [(id: SessionID, user: UInt32, device: UInt32, lifetimes: UInt32, sealed: UInt8)] = [(SessionID(high: 1, low: 1), 0, 0, 0, 0)]
        var users: [(name: String, banned: UInt8, sessions: [SessionID], devices: [UInt64])] = [
            ("alice", 0, [SessionID(high: 1, low: 1)], [42]), ("bob", 1, [], []),
        ]
        var counts: [String: UInt64] = [:]
        var trailing: [UInt8] = []

        var bytes: [UInt8] {
            var w = ByteWriter(capacity: 512)
            w.i64(slack); w.i64(1_000_000); w.i64(2_000_000)
            w.u64(counts["names"] ?? UInt64(names.count))
            for n in names { w.string(n) }
            w.u64(counts["devices"] ?? UInt64(devices.count))
            for d in devices { w.string(d.0); w.string(d.1) }
            w.u64(counts["lifetimes"] ?? UInt64(lifetimes.count))
            for l in lifetimes { for v in l { w.u32(v) } }
            w.u64(counts["sessions"] ?? UInt64(sessions.count))
            for s in sessions {
                w.sessionID(s.id); w.i64(1_000_000); w.i64(1_000_000); w.u64(0); w.u64(0); w.u8(s.sealed); w.u64(1)
                w.u32(s.user); w.u32(s.device); w.u32(1); w.u32(s.lifetimes)
            }
            w.u64(counts["users"] ?? UInt64(users.count))
            for u in users {
                w.string(u.name); w.u8(u.banned)
                w.varint(counts["user sessions"] ?? UInt64(u.sessions.count))
                for id in u.sessions { w.sessionID(id) }
                w.varint(UInt64(u.devices.count))
                for d in u.devices { w.u64(d) }
            }
            w.u64(counts["revocations"] ?? 1)
            w.sessionID(SessionID(high: 9, low: 9)); w.i64(5_000_000)
            w.raw(trailing)
            return w.bytes
        }
    }

    static let malformedBodies: [(String, @Sendable (inout Body) -> Void)] = [
        ("a name twice", { $0.names = ["alice", "alice"]; $0.users = [("alice", 0, [SessionID(high: 1, low: 1)], [42])] }),
        ("a device twice", { $0.devices = [("iPhone", "Safari"), ("iPhone", "Safari")] }),
        ("lifetimes twice", { $0.lifetimes += $0.lifetimes }),
        ("a user index out of range", { $0.sessions[0].user = 2 }),
        ("a device index out of range", { $0.sessions[0].device = 1 }),
        ("a lifetimes index out of range", { $0.sessions[0].lifetimes = 1 }),
        ("a huge lifetimes index", { $0.sessions[0].lifetimes = .max }),
        ("a session twice", { $0.sessions.append($0.sessions[0]) }),
        ("a name count beyond the bytes", { $0.counts["names"] = .max }),
        ("a device count beyond the bytes", { $0.counts["devices"] = 1 << 40 }),
        ("a session count beyond the bytes", { $0.counts["sessions"] = 1_000 }),
        ("a user count beyond the bytes", { $0.counts["users"] = 3 }),
        ("a revocation count beyond the bytes", { $0.counts["revocations"] = 2 }),
        ("a user's session count beyond the bytes", { $0.counts["user sessions"] = .max }),
        ("a session of a user absent from the users", { $0.users.removeFirst() }),
        ("a user listing an absent session", { $0.users[1].sessions = [SessionID(high: 7, low: 7)] }),
        ("a user listing another user's session", { $0.users[1].sessions = [SessionID(high: 1, low: 1)] }),
        ("a user listing a session twice", { $0.users[0].sessions += $0.users[0].sessions }),
        ("a user not in the name table", { $0.users[1].name = "carol" }),
        ("a user twice", { $0.users.append($0.users[1]) }),
        ("user flags beyond banned and forgotten", { $0.users[1].banned = 4 }),
        ("an address flag that is not 0 or 1", { $0.sessions[0].sealed = 2 }),
        ("an empty user record", { $0.users[1].banned = 0 }),
        ("a device fingerprint twice", { $0.users[0].devices = [42, 42] }),
        ("a negative slack", { $0.slack = -1 }),
        ("a slack that would overflow", { $0.slack = .max }),
        ("trailing bytes", { $0.trailing = [0] }),
    ]

    @Test("structurally malformed bodies under a valid MAC are refused as malformed", arguments: 0..<malformedBodies.count)
    func malformedBodiesAreRefused(index: Int) async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let store = SnapshotStore.forReading(dataDirectory: f.dir.path)
        let path = f.dir.path + "/snapshots/snapshot-00000000000000000000.alsnap"
        mkdir(f.dir.path + "/snapshots", 0o700)
        // The undamaged body loads, so each case below fails for its own damage only.
        try Self.sealed(Body().bytes, dir: f.dir.path).write(to: path)
        let info = try #require(store.list().first)
        let good = try store.load(info, matching: engine.log)
        #expect(good.isBanned(user: "bob") && good.activeSessions(user: "alice", at: Timestamp(seconds: 2), personalData: engine.personalData).count == 1)

        let (name, damage) = Self.malformedBodies[index]
        var body = Body()
        damage(&body)
        try Self.sealed(body.bytes, dir: f.dir.path).write(to: path)
        do {
            _ = try store.load(info, matching: engine.log)
            Issue.record("\(name): loaded")
        } catch {
            #expect(error.kind == .malformed, "\(name): \(error)")
        }
    }

    @Test("every truncation and bit flip of a real body under a valid MAC is refused or loads a usable projection, never traps")
    func truncatedAndFlippedBodies() async throws {
        let story = try await Story()
        let engine = try await story.f.open()
        let store = SnapshotStore.forReading(dataDirectory: story.f.dir.path)
        let original = try SnapshotBytes(path: story.snapshot.path)
        let body = original.body
        #expect(body.count > 500)
        var refused = 0, loaded = 0
        func attempt(_ damaged: [UInt8]) throws {
            var file = original
            file.replaceBody(damaged)
            try file.resealWithKey(of: story.f.dir.path)
            try file.bytes.write(to: story.snapshot.path)
            do {
                var p = try store.load(story.snapshot, matching: engine.log)
                // Whatever loaded must be usable: queried, digested and replayed onto.
                _ = p.digest
                _ = p.statistics
                for user in ["alice", "bob", "mallory", "u1"] { _ = p.activeSessions(user: user, at: p.time, personalData: engine.personalData); _ = p.isBanned(user: user) }
                try p.advance(in: engine.log)
                loaded += 1
            } catch let e as SnapshotError {
                #expect(e.kind == .malformed, "\(e)")
                refused += 1
            }
        }
        for length in 0..<body.count { try attempt(Array(body[..<length])) }
        #expect(refused == body.count)
        for i in 0..<body.count {
            var damaged = body
            damaged[i] ^= 1 << UInt8(i % 8)
            try attempt(damaged)
        }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            try attempt((0..<Int.random(in: 0..<2_000, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        #expect(loaded > 0 && refused > body.count)
    }
}

/// Names in a directory (the tests' own, so as not to depend on the engine's helpers).
func directoryEntries(_ directory: String) -> [String] {
    guard let d = opendir(directory) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}
