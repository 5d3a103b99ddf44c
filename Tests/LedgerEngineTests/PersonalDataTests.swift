import Foundation
import Glibc
import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerLog
import LedgerTesting
import Testing

@Suite("Personal data: sealed fields and erasure")
struct PersonalDataTests {
    // Values no other part of a data directory could hold by chance.
    static let device = Device(label: "Zorblax-Handset-7731", userAgent: "QuuxBrowser/99.4-ua-marker", ip: IPAddress("203.0.113.77")!)
    static let otherNetwork = IPAddress("198.51.100.201")!

    /// alice logs in twice (a new device is flagged), refreshes from another network (flagged)
    /// and replays a stale token (reuse, flagged); bob logs in. Returns alice's live token.
    static func story(_ engine: AuthEngine, _ f: EngineFixture) async throws -> String {
        let (t1, _) = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let (t2, _) = try await engine.login(LoginRequest(user: "alice", device: device))
        f.clock.advance(seconds: 60)
        let r2 = try await engine.refresh(t2.refreshToken, ip: otherNetwork)
        let r1 = try await engine.refresh(t1.refreshToken, ip: EngineFixture.phone.ip)
        f.clock.advance(seconds: 60)
        _ = try await engine.refresh(r1.refreshToken, ip: EngineFixture.phone.ip)
        _ = await attempt { () async throws(EngineError) in try await engine.refresh(t1.refreshToken, ip: device.ip) }
        _ = try await engine.login(LoginRequest(user: "bob", device: EngineFixture.laptop))
        return r2.refreshToken
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= haystack.count else { return false }
        return Data(haystack).range(of: Data(needle)) != nil
    }

    /// Every regular file under `dir`, recursively.
    static func files(_ dir: String) -> [String] {
        let fm = FileManager.default
        return (fm.enumerator(atPath: dir)?.allObjects as? [String] ?? []).map { dir + "/" + $0 }.filter {
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: $0, isDirectory: &isDir) && !isDir.boolValue
        }
    }

    @Test("no label, user agent or address is in clear anywhere in the data directory, and queries reveal them")
    func nothingInClear() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        _ = try await Self.story(engine, f)
        _ = try await engine.snapshot()
        let sessions = engine.activeSessions(user: "alice")
        #expect(sessions.contains { $0.deviceLabel == Self.device.label && $0.userAgent == Self.device.userAgent && $0.ip == Self.otherNetwork })
        let history = try engine.history(user: "alice")
        #expect(history.allSatisfy { !$0.textLine.contains("(encrypted)") && !$0.textLine.contains("(erased)") })
        #expect(history.contains { $0.textLine.contains(Self.device.userAgent) })
        #expect(history.contains { $0.event.flag == .networkChange && $0.textLine.contains("198.51.100.201") })
        #expect(history.filter { $0.event.flag != nil }.map { $0.event.schemaVersion }.allSatisfy { $0 == 2 })
        try await engine.shutdown()

        // The address as a record stores it: a little-endian u32.
        guard case let .v4(v) = IPAddress("198.51.100.201")! else { return }
        let raw = withUnsafeBytes(of: v.littleEndian) { Array($0) }
        let needles: [[UInt8]] = [Array(Self.device.label.utf8), Array(Self.device.userAgent.utf8), Array("Zorblax".utf8), raw,
                                  Array("198.51.100.201".utf8), Array("203.0.113.77".utf8)]
        let all = Self.files(f.dir.path)
        #expect(all.contains { $0.hasSuffix("data.mdb") } && all.contains { $0.hasSuffix(".alsnap") })
        for path in all {
            let bytes = try [UInt8](contentsOf: path)
            for n in needles { #expect(!Self.contains(bytes, n), "\(String(decoding: n, as: UTF8.self)) in clear in \(path)") }
        }
    }

    @Test("forget: sessions end, the key goes, fields read as erased after restart, snapshot and full replay; the chain verifies")
    func erasure() async throws {
        var f = EngineFixture()
        var digest = SHA256Digest.zero
        do {
            let engine = try await f.open()
            let token = try await Self.story(engine, f)
            try await engine.forget(user: "alice", actor: "admin:dpo")
            try await engine.forget(user: "alice", actor: "admin:dpo")  // twice: nothing more
            #expect(engine.activeSessions(user: "alice").isEmpty)
            #expect(engine.activeSessions(user: "bob").count == 1)
            let refreshed: Result<SessionTokens, EngineError> = await attempt { () async throws(EngineError) in try await engine.refresh(token) }
            if case let .failure(e) = refreshed { #expect(e.kind == EngineError.Kind.sessionRevoked) } else { Issue.record("refreshed") }
            let relogin: Result<(tokens: SessionTokens, session: SessionInfo), EngineError> = await attempt { () async throws(EngineError) in
                try await engine.login(LoginRequest(user: "alice", device: Self.device))
            }
            if case let .failure(e) = relogin { #expect(e.kind == EngineError.Kind.userForgotten) } else { Issue.record("a forgotten id logged in again") }
            let history = try engine.history(user: "alice")
            #expect(history.filter { if case .userForgotten = $0.event { true } else { false } }.count == 1)
            #expect(!history.contains { $0.textLine.contains(Self.device.label) || $0.jsonLine.contains(Self.device.userAgent) })
            #expect(history.contains { $0.textLine.contains("device=(erased)") })
            #expect(history.contains { $0.jsonLine.contains(#""erased":true"#) })
            #expect(try engine.history(user: "bob").contains { $0.textLine.contains(EngineFixture.laptop.label) })
            digest = engine.projectionDigest
            _ = try await engine.snapshot()
            try await engine.shutdown()
        }
        // From the snapshot, then from a full replay: the same state as the live engine.
        let fromSnapshot = try await f.open()
        #expect(fromSnapshot.startup.snapshotPosition != nil)
        #expect(fromSnapshot.projectionDigest == digest)
        #expect(try fromSnapshot.log.verifyChain().isIntact)
        try await fromSnapshot.shutdown()
        f.configuration.startFromSnapshot = false
        let replayed = try await f.open()
        #expect(replayed.startup.snapshotPosition == nil)
        #expect(replayed.projectionDigest == digest)
        #expect(try replayed.history(user: "alice").allSatisfy { !$0.textLine.contains(Self.device.label) })
        try await replayed.shutdown()
        // The raw bytes: no key for alice any more, and her fields were never in clear.
        var readOnly = LogConfiguration()
        readOnly.readOnly = true
        let log = try EventLog(directory: f.dir.path, configuration: readOnly)
        defer { log.close() }
        #expect(try log.userKey("alice") == nil && log.userKey("bob") != nil)
    }

    @Test("the benchmark baseline writes clear schema 1, which the sealing engine still reads")
    func clearBaseline() async throws {
        var f = EngineFixture { $0.sealPersonalData = false }
        do {
            let engine = try await f.open()
            _ = try await Self.story(engine, f)
            #expect(try EngineFixture.events(engine).filter { $0.event.type == .refreshRotated }.allSatisfy { $0.event.schemaVersion == 1 })
            try await engine.shutdown()
        }
        f.configuration.sealPersonalData = true
        f.configuration.startFromSnapshot = false
        let engine = try await f.open()
        #expect(engine.activeSessions(user: "alice").contains { $0.deviceLabel == Self.device.label })
        // A device first seen in clear is not new once sealing is on.
        _ = try await engine.login(LoginRequest(user: "alice", device: Self.device))
        #expect(try EngineFixture.count(engine) { $0.flag == .newDevice } == 1)
        try await engine.forget(user: "alice", actor: "admin")
        #expect(engine.activeSessions(user: "alice").isEmpty)
        try await engine.shutdown()
    }
}

@Suite("The master key at engine start")
struct MasterKeyStartTests {
    /// An engine directory with one user whose data key is wrapped under master 1.
    static func directoryWithAUser() async throws -> EngineFixture {
        let f = EngineFixture()
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        try await engine.shutdown()
        return f
    }

    @Test("a wrong master key stops the engine with an error naming the file, and writes nothing")
    func wrongMaster() async throws {
        let f = try await Self.directoryWithAUser()
        let path = f.dir.appending("keys/master-1.key")
        let other = [UInt8](repeating: 7, count: 32)
        try Data(other).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        let head = try EventLog(directory: f.dir.path, configuration: { var c = LogConfiguration(); c.readOnly = true; return c }()).head()
        await #expect { _ = try await f.open() } throws: { "\($0)".contains("master-1.key") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(other))
        let after = try EventLog(directory: f.dir.path, configuration: { var c = LogConfiguration(); c.readOnly = true; return c }()).head()
        #expect(after == head)
    }

    @Test("a missing master key stops the engine instead of writing a new one")
    func missingMaster() async throws {
        let f = try await Self.directoryWithAUser()
        let path = f.dir.appending("keys/master-1.key")
        unlink(path)
        await #expect { _ = try await f.open() } throws: { "\($0)".contains("master") }
        #expect(access(path, F_OK) != 0)
    }
}
