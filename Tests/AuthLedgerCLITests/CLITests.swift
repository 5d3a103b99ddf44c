import CLMDB
import Foundation
import LedgerCrypto
import LedgerEngine
import LedgerCodec
@testable import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// Runs the built `authledger` binary, as a user would.
func authledger(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, out: String, err: String) {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("authledger")
    return try ChildProcess.run(binary.path, arguments, input: stdin.map { Array($0.utf8) }).statusAndOutput
}

extension ChildProcess.Result {
    /// The exit status (128 + the signal's number for a program killed by one, as shells
    /// report it), standard output and standard error.
    var statusAndOutput: (status: Int32, out: String, err: String) {
        switch termination {
        case let .exited(code): (code, output, errorOutput)
        case let .signaled(signal): (128 + signal, output, errorOutput)
        }
    }
}

/// A data directory with a scripted story: alice on two devices with rotations, a reuse, an
/// admin revocation, and a ban of mallory. The engine stays open, as a server would.
struct Scenario {
    let dir = TemporaryDirectory()
    let clock = ManualClock(start: Timestamp(seconds: 1_767_225_600))  // 2026-01-01T00:00:00Z
    let engine: AuthEngine
    var laptop: SessionTokens!
    var phone: SessionTokens!

    init() async throws {
        var c = EngineConfiguration()
        c.log = .unsafeFast()
        c.clock = clock
        engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
        phone = try await engine.login(LoginRequest(user: "alice", device: Device(label: "iPhone", userAgent: "Safari/17", ip: IPAddress("198.51.100.7")!))).tokens
        clock.advance(seconds: 60)
        laptop = try await engine.login(LoginRequest(user: "alice", device: Device(label: "Laptop", userAgent: "Chrome/131", ip: IPAddress("203.0.113.20")!))).tokens
        clock.advance(seconds: 60)
        let l2 = try await engine.refresh(laptop.refreshToken, ip: IPAddress("203.0.113.20")!)
        clock.advance(seconds: 60)
        _ = try await engine.refresh(l2.refreshToken, ip: IPAddress("203.0.113.20")!)
        clock.advance(seconds: 60)
        _ = try? await engine.refresh(laptop.refreshToken, ip: IPAddress("192.0.2.66")!)  // reuse: laptop revoked
        clock.advance(seconds: 60)
        phone = try await engine.refresh(phone.refreshToken, ip: IPAddress("198.51.100.7")!)
        clock.advance(seconds: 60)
        let (mallory, _) = try await engine.login(LoginRequest(user: "mallory", device: Device(label: "Phone")))
        try await engine.revoke(session: mallory.session, actor: "admin:jo")
        try await engine.ban(user: "mallory", actor: "admin:jo", reason: "fraud")
    }

    var data: [String] { ["--data-dir", dir.path] }
}

@Suite("authledger command")
struct CLITests {
    @Test("audit reads the scripted story correctly as text, beside the running engine")
    func auditText() async throws {
        let s = try await Scenario()
        let r = try authledger(["audit", "alice"] + s.data)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        let types = lines.map { $0.split(separator: " ", omittingEmptySubsequences: true)[2] }
        #expect(types == ["session.started", "session.started", "suspicious.flagged", "refresh.rotated", "refresh.rotated",
                          "refresh.reuse_detected", "session.revoked", "suspicious.flagged", "refresh.rotated"])
        #expect(lines[0].contains("2026-01-01T00:00:00.000000Z") && lines[0].contains("device=\"iPhone\"") && lines[0].contains("ip=198.51.100.7"))
        #expect(lines[5].contains("classification=stale-lineage") && lines[5].contains("ip=192.0.2.66"))
        #expect(lines[6].contains("reason=reuse-detected"))
        #expect(lines.allSatisfy { $0.contains("user=\"alice\"") })
        let mallory = try authledger(["audit", "mallory"] + s.data).out
        #expect(mallory.contains("session.revoked") && mallory.contains("by=\"admin:jo\"") && mallory.contains("user.banned") && mallory.contains("reason=\"fraud\""))
    }

    @Test("audit as JSON lines carries every field, and --since/--until select a window")
    func auditJSON() async throws {
        let s = try await Scenario()
        let r = try authledger(["audit", "alice", "--format", "json"] + s.data)
        let objects = try r.out.split(separator: "\n").map { try #require(try JSONParser.parse(String($0)).objectValue) }
        #expect(objects.count == 9)
        #expect(objects[0]["device"]?.objectValue?["label"] == "iPhone")
        #expect(objects[0]["session"] == .string(s.phone.session.description))
        let reuse = try #require(objects.first { $0["type"] == "refresh.reuse_detected" })
        #expect(reuse["classification"] == "stale-lineage" && reuse["presented_generation"] == 1 && reuse["current_generation"] == 3)
        let window = try authledger(["audit", "alice", "--format", "json", "--since", "2026-01-01T00:02:00Z", "--until", "2026-01-01T00:04:00Z"] + s.data)
        #expect(window.out.split(separator: "\n").count == 5)  // two rotations, then the reuse's three events
    }

    @Test("sessions now and at a past moment")
    func sessions() async throws {
        let s = try await Scenario()
        // At 00:02:30 both of alice's devices were active; now only the phone is.
        let then = try authledger(["sessions", "alice", "--at", "2026-01-01T00:02:30Z"] + s.data)
        #expect(then.out.hasPrefix("2 active sessions for \"alice\""))
        let now = try authledger(["sessions", "alice", "--at", "2026-01-01T00:10:00Z"] + s.data)
        #expect(now.out.hasPrefix("1 active session for \"alice\""))
        #expect(now.out.contains(s.phone.session.description) && now.out.contains("\"iPhone\""))
        let banned = try authledger(["sessions", "mallory", "--at", "2026-01-01T00:10:00Z"] + s.data)
        #expect(banned.out.hasPrefix("0 active sessions for \"mallory\"") && banned.out.contains("(banned)"))
    }

    @Test("rebuild prints the live engine's digest; snapshot create and verify agree")
    func rebuildAndSnapshots() async throws {
        let s = try await Scenario()
        let r = try authledger(["rebuild"] + s.data)
        #expect(r.status == 0)
        #expect(r.out.contains("digest \(s.engine.projectionDigest.hex)"))
        #expect(try authledger(["snapshot", "create"] + s.data).status == 0)
        let verify = try authledger(["snapshot", "verify"] + s.data)
        #expect(verify.status == 0 && verify.out.hasSuffix("bytes  ok\n"), "\(verify.out)")
        let list = try authledger(["snapshot", "list"] + s.data)
        #expect(list.out.contains("position \(try s.engine.log.head().position)"))
        // A corrupt snapshot fails verification with a reason.
        let path = try #require(SnapshotStore.forReading(dataDirectory: s.dir.path).list().first).path
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[bytes.count - 40] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let bad = try authledger(["snapshot", "verify"] + s.data)
        #expect(bad.status == 1 && bad.out.contains("MAC mismatch"))
        let fromSnapshot = try authledger(["rebuild", "--from-snapshot"] + s.data)
        #expect(fromSnapshot.err.contains("skipping snapshot") && fromSnapshot.out.contains("digest \(s.engine.projectionDigest.hex)"))
    }

    @Test("audit and sessions print one line per event or session, with no raw control character, as text and as JSON")
    func hostileStringsStayOnOneLine() async throws {
        let s = try await Scenario()
        let hostile = "\n\r\u{1B}[31m\u{9B}\"\u{202E}\u{2028}\u{7F}\u{2066}\\ x=\"y"
        func raw(_ text: String) -> [Unicode.Scalar] {
            text.unicodeScalars.filter { c in
                switch c.value {
                case 0x00...0x09, 0x0b...0x1f, 0x7f...0x9f, 0x2028, 0x2029, 0x202a...0x202e, 0x2066...0x2069: true
                default: false
                }
            }
        }
        let eve = "eve" + hostile
        let device = Device(label: "Laptop" + hostile, userAgent: "UA" + hostile, ip: IPAddress("203.0.113.9")!)
        let (first, _) = try await s.engine.login(LoginRequest(user: eve, device: device))
        _ = try await s.engine.login(LoginRequest(user: eve, device: device))
        try await s.engine.revoke(session: first.session, actor: "admin" + hostile)
        let bob = "bob" + hostile
        _ = try await s.engine.login(LoginRequest(user: bob, device: device))
        try await s.engine.ban(user: bob, actor: "jo" + hostile, reason: "fraud" + hostile)
        let eveEvents = try s.engine.history(user: eve).count, bobEvents = try s.engine.history(user: bob).count

        for (user, count) in [(eve, eveEvents), (bob, bobEvents)] {
            let text = try authledger(["audit", user] + s.data)
            #expect(text.status == 0, "\(text.err)")
            #expect(text.out.split(separator: "\n", omittingEmptySubsequences: false).count == count + 1, "\(text.out.debugDescription)")
            #expect(raw(text.out).isEmpty, "\(text.out.debugDescription)")
            #expect(!text.out.contains("\r"))
            let json = try authledger(["audit", user, "--format", "json"] + s.data)
            let lines = json.out.split(separator: "\n")
            #expect(lines.count == count && raw(json.out).isEmpty && !json.out.contains("\r"), "\(json.out.debugDescription)")
            for line in lines {
                let o = try #require(try JSONParser.parse(String(line)).objectValue)
                #expect(o["user"] == .string(user))
                if let label = o["device"]?.objectValue?["label"] { #expect(label == .string(device.label)) }
                if let actor = o["actor"], o["type"] == "session.revoked" { #expect(actor == .string("admin" + hostile)) }
                if o["type"] == "user.banned" { #expect(o["reason"] == .string("fraud" + hostile)) }
            }
        }
        let sessions = try authledger(["sessions", eve, "--at", "2026-01-01T00:30:00Z"] + s.data)
        #expect(sessions.status == 0, "\(sessions.err)")
        #expect(sessions.out.split(separator: "\n", omittingEmptySubsequences: false).count == 3, "\(sessions.out.debugDescription)")
        #expect(raw(sessions.out).isEmpty && !sessions.out.contains("\r"), "\(sessions.out.debugDescription)")
        let sessionsJSON = try authledger(["sessions", eve, "--at", "2026-01-01T00:30:00Z", "--format", "json"] + s.data)
        let objects = try sessionsJSON.out.split(separator: "\n").map { try #require(try JSONParser.parse(String($0)).objectValue) }
        #expect(objects.count == 1 && objects.first?["device"] == .string(device.label) && objects.first?["user_agent"] == .string(device.userAgent))
        #expect(raw(sessionsJSON.out).isEmpty && !sessionsJSON.out.contains("\r"))
        // An error that repeats what was typed does not pass it on raw either.
        let badTime = try authledger(["sessions", eve, "--at", "soon\u{1B}]0;owned\u{7}"] + s.data)
        #expect(badTime.status == 1 && badTime.err.contains("cannot read time") && raw(badTime.err).isEmpty, "\(badTime.err.debugDescription)")
    }

    /// Snapshot files of the scenario, newest first (read from the directory, as an operator would).
    func snapshotFiles(_ s: Scenario) throws -> [String] {
        let dir = s.dir.path + "/snapshots"
        return try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".alsnap") }.sorted(by: >).map { dir + "/" + $0 }
    }

    /// Lifts mallory's ban in a snapshot file and recomputes its plain checksum, as someone
    /// who can write snapshots/ but not read keys/ would.
    func liftMallorysBan(_ path: String) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let needle = [7] + Array("mallory".utf8)
        let at = try #require(stride(from: bytes.count - 32 - needle.count, through: 60, by: -1).first { Array(bytes[$0..<($0 + needle.count)]) == needle })
        #expect(bytes[at + 8] == 1)
        bytes[at + 8] = 0
        bytes.removeLast(32)
        bytes += SHA256.hash(bytes).bytes
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("snapshot verify prints one line per snapshot with its state, and fails on a tampered one")
    func snapshotVerifyStates() async throws {
        let s = try await Scenario()
        #expect(try authledger(["snapshot", "create"] + s.data).status == 0)
        let earlier = try s.engine.log.head().position
        try await s.engine.ban(user: "eve", actor: "admin:jo", reason: "test")
        #expect(try authledger(["snapshot", "create"] + s.data).status == 0)
        let files = try snapshotFiles(s)
        #expect(files.count == 2)
        let sizes = try files.map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int }
        let head = try s.engine.log.head().position
        let good = try authledger(["snapshot", "verify"] + s.data)
        #expect(good.status == 0)
        #expect(good.out == "position \(head)  \(sizes[0]) bytes  ok\nposition \(earlier)  \(sizes[1]) bytes  ok\n", "\(good.out)")

        try liftMallorysBan(files[0])
        let intact = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files[1])))
        var old = intact
        old[8] = 1
        try Data(old).write(to: URL(fileURLWithPath: files[1]))
        let bad = try authledger(["snapshot", "verify"] + s.data)
        #expect(bad.status == 1)
        #expect(bad.out == "position \(head)  \(sizes[0]) bytes  MAC mismatch\nposition \(earlier)  \(sizes[1]) bytes  old format\n", "\(bad.out)")
        try Data(intact.prefix(100)).write(to: URL(fileURLWithPath: files[1]))
        let truncated = try authledger(["snapshot", "verify"] + s.data)
        #expect(truncated.status == 1 && truncated.out.contains("position \(earlier)  100 bytes  malformed: truncated"), "\(truncated.out)")
    }

    @Test("snapshot create does not carry a tampered snapshot's state into the next snapshot")
    func snapshotCreateSkipsTampered() async throws {
        let s = try await Scenario()
        #expect(try authledger(["snapshot", "create"] + s.data).status == 0)
        try liftMallorysBan(try #require(try snapshotFiles(s).first))
        _ = try await s.engine.login(LoginRequest(user: "carol", device: Device(label: "Phone")))
        let create = try authledger(["snapshot", "create"] + s.data)
        #expect(create.status == 0 && create.out.contains("digest \(s.engine.projectionDigest.hex)"), "\(create.out) \(create.err)")
        // The newest snapshot is the one just created; sessions starts from it.
        let mallory = try authledger(["sessions", "mallory", "--at", "2026-01-01T00:30:00Z"] + s.data)
        #expect(mallory.out.contains("(banned)"), "\(mallory.out)")
        let rebuild = try authledger(["rebuild", "--from-snapshot"] + s.data)
        #expect(rebuild.out.contains("digest \(s.engine.projectionDigest.hex)"), "\(rebuild.out)")
    }

    @Test("read-only tools that cannot read the snapshot key say so and replay the log")
    func readOnlyToolsWithoutTheKey() async throws {
        let s = try await Scenario()
        #expect(try authledger(["snapshot", "create"] + s.data).status == 0)
        try FileManager.default.removeItem(atPath: s.dir.path + "/keys/snapshot.key")
        let rebuild = try authledger(["rebuild", "--from-snapshot"] + s.data)
        #expect(rebuild.status == 0 && rebuild.err.contains("not using snapshots") && rebuild.err.contains("snapshot key"), "\(rebuild.err)")
        #expect(rebuild.out.contains("rebuilding from scratch") && rebuild.out.contains("digest \(s.engine.projectionDigest.hex)"))
        let sessions = try authledger(["sessions", "alice", "--at", "2026-01-01T00:10:00Z"] + s.data)
        #expect(sessions.err.contains("not using snapshots") && sessions.out.hasPrefix("1 active session"), "\(sessions.err)")
        let verify = try authledger(["snapshot", "verify"] + s.data)
        #expect(verify.status == 1 && verify.out.contains("key unavailable") && verify.err.contains("snapshot key"), "\(verify.out) \(verify.err)")
        // Nothing read-only created a key behind the operator's back.
        #expect(!FileManager.default.fileExists(atPath: s.dir.path + "/keys/snapshot.key"))
    }

    @Test("verify finds a tampered record at its position")
    func verifyTamper() async throws {
        let s = try await Scenario()
        #expect(try authledger(["verify"] + s.data).status == 0)
        var bytes = try #require(try s.engine.log.record(at: 7)).storedBytes
        bytes[14] ^= 0x20
        _ = try s.engine.log.env.write { txn in
            var key: UInt64 = 7
            try withUnsafeBytes(of: &key) { k in try bytes.withUnsafeBytes { try txn.put(s.engine.log.logDB, key: k, value: $0, flags: 0) } }
        }
        let r = try authledger(["verify"] + s.data)
        #expect(r.status == 1)
        #expect(r.out.contains("BROKEN at position 7"))
    }

    @Test("token inspect and verify against the JWKS from the log")
    func tokens() async throws {
        let s = try await Scenario()
        let jwks = s.dir.appending("jwks.json")
        let printed = try authledger(["jwks"] + s.data)
        try Data(printed.out.utf8).write(to: URL(fileURLWithPath: jwks))
        let token = s.phone.accessToken
        let inspect = try authledger(["token", "inspect", token])
        #expect(inspect.status == 0 && inspect.out.contains("\"sub\":\"alice\"") && inspect.out.contains("\"alg\":\"ES256\""))
        // The scenario's clock is in the past, so the claims have expired: each check is reported.
        let verify = try authledger(["token", "verify", token, "--jwks", jwks, "--issuer", "authledger", "--audience", "api"])
        #expect(verify.status == 1)
        #expect(verify.out.contains("signature  ok") && verify.out.contains("exp        FAILED"))
        #expect(verify.out.contains("iss        ok") && verify.out.contains("aud        ok"))
        let sigOnly = try authledger(["token", "verify", token, "--jwks", jwks, "--signature-only"])
        #expect(sigOnly.status == 0 && sigOnly.out.contains("signature: ok (ES256"))
        var tampered = Array(token.utf8)
        tampered[tampered.count - 5] = tampered[tampered.count - 5] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        let bad = try authledger(["token", "verify", String(decoding: tampered, as: UTF8.self), "--jwks", jwks, "--signature-only"])
        #expect(bad.status == 1 && bad.out.contains("FAILED"))
    }

    @Test("stats counts events by type, users and sessions")
    func stats() async throws {
        let s = try await Scenario()
        let r = try authledger(["stats"] + s.data)
        #expect(r.status == 0)
        #expect(r.out.contains("users: 2") && r.out.contains("refresh.rotated          3") && r.out.contains("user.banned              1"))
    }

    @Test("clear errors and exit codes: missing data directory, a locked one, a bad argument")
    func errors() async throws {
        let missing = try authledger(["audit", "alice", "--data-dir", "/nonexistent/authledger"])
        #expect(missing.status == 1 && missing.err.contains("does not exist") && missing.err.contains("--data-dir"))
        let s = try await Scenario()
        // demo needs the writer lock, which the scenario's engine holds.
        let locked = try authledger(["demo"] + s.data)
        #expect(locked.status == 1 && locked.err.contains("another process") && locked.err.contains("read-only"))
        let bad = try authledger(["sessions", "alice", "--at", "yesterday-ish"] + s.data)
        #expect(bad.status == 1 && bad.err.contains("cannot read time"))
        let usage = try authledger(["audit"])
        #expect(usage.status == 64 && usage.err.contains("Missing expected argument"))
        let unknownType = try authledger(["tail", "--type", "nope"] + s.data)
        #expect(unknownType.status == 64 && unknownType.err.contains("unknown event type"))
        let help = try authledger(["--help"])
        #expect(help.out.contains("audit") && help.out.contains("Read-only commands"))
    }

    @Test("tail follows from a position and filters by type")
    func tail() async throws {
        let s = try await Scenario()
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("authledger")
        let p = try ChildProcess(binary.path, ["tail", "--from", "1", "--type", "session.revoked", "--format", "json"] + s.data)
        // A new revocation after the tail started arrives too.
        try await Task.sleep(for: .milliseconds(300))
        try await s.engine.revoke(session: s.phone.session, actor: "admin:late")
        var lines: [String] = []
        while lines.count < 3, let line = p.nextLine(timeout: 10) { lines.append(line) }
        try p.terminate()
        #expect(lines.count == 3)
        #expect(lines.last?.contains("\"actor\":\"admin:late\"") == true)
    }
}
