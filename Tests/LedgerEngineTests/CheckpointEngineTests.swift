import Foundation
import Glibc
import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerLog
import LedgerTesting
import Testing

@Suite("The log key and signed checkpoints")
struct CheckpointEngineTests {
    @Test("the log key is made on first open, owner-only, and is the same key after a restart")
    func logKeyCreated() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let path = f.dir.appending("keys/log.pem")
        var st = stat()
        #expect(stat(path, &st) == 0 && st.st_mode & 0o777 == 0o600)
        let key = engine.checkpoints.key.verifierKey
        #expect(key.hasPrefix("authledger.local/log+"))
        try await engine.shutdown()
        let again = try await f.open()
        #expect(again.checkpoints.key.verifierKey == key)
        // Not a JWT signing key: the JWKS does not hold it.
        let raw = try NoteKey(verifierKey: key).publicKey.rawRepresentation
        #expect(!again.keys.jwks.document.serialized.contains(Base64URL.encode(raw)))
        try await again.shutdown()
    }

    @Test("a corrupt or exposed log key stops open, naming the file, and is not replaced",
          arguments: [("not a key", mode_t(0o600)), ("", mode_t(0o600)), (nil, mode_t(0o644))] as [(String?, mode_t)])
    func refusedLogKey(content: String?, mode: mode_t) async throws {
        let f = EngineFixture()
        try await f.open().shutdown()
        let path = f.dir.appending("keys/log.pem")
        let original = contents(path)!
        plant(content ?? original, at: path, mode: mode)
        await #expect {
            try await f.open()
        } throws: { error in
            (error as? EngineError)?.kind == .keyFile(path: path) && "\(error)".contains(path)
        }
        #expect(contents(path) == content ?? original)
    }

    @Test("an origin that cannot be a note key name is refused before anything is written")
    func badOrigin() async throws {
        let f = EngineFixture { $0.logOrigin = "my log" }
        await #expect { try await f.open() } throws: { ($0 as? EngineError)?.kind == .invalidConfiguration }
        #expect(contents(f.dir.appending("keys/log.pem")) == nil)
    }

    @Test("a checkpoint is signed at shutdown, verifies with the verifier key, and survives a restart")
    func checkpointAtShutdown() async throws {
        let f = EngineFixture { $0.checkpointInterval = nil; $0.logOrigin = "example.com/auth" }
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        #expect(engine.checkpoints.latest == nil)
        try await engine.shutdown()
        let note = try #require(contents(f.dir.appending("checkpoints/latest.note")))
        let again = try await f.open()
        let checkpoint = try LogVerifier.checkpoint(note: note, verifierKey: again.checkpoints.key.verifierKey)
        #expect(checkpoint.origin == "example.com/auth")
        #expect(checkpoint.size == again.statistics.position)
        #expect(checkpoint.root == (try again.log.merkleRoot(size: checkpoint.size)))
        #expect(again.checkpoints.latest?.note == note)
        try await again.shutdown()
    }

    @Test("checkpoints are signed on the interval while the log grows")
    func interval() async throws {
        let f = EngineFixture { $0.checkpointInterval = .milliseconds(20) }
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let head = engine.statistics.position
        let deadline = ContinuousClock.now + .seconds(30)
        while (engine.checkpoints.latest?.checkpoint.size ?? 0) < head && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(engine.checkpoints.latest?.checkpoint.size == head)
        try await engine.shutdown()
    }

    @Test("a log restored from an older backup, then grown differently, gets no checkpoint: rolled back, then forked")
    func refusesRollbackAndFork() async throws {
        let f = EngineFixture { $0.checkpointInterval = nil }
        var engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        try await engine.shutdown()
        let backup = TemporaryDirectory()
        try FileManager.default.copyItem(atPath: f.dir.appending("data.mdb"), toPath: backup.appending("data.mdb"))
        engine = try await f.open()
        for user in ["bob", "carol", "dave"] { _ = try await engine.login(LoginRequest(user: user, device: EngineFixture.laptop)) }
        try await engine.shutdown()
        let signed = try #require(contents(f.dir.appending("checkpoints/latest.note")))

        try FileManager.default.removeItem(atPath: f.dir.appending("data.mdb"))
        try FileManager.default.copyItem(atPath: backup.appending("data.mdb"), toPath: f.dir.appending("data.mdb"))
        engine = try await f.open()
        #expect { try engine.checkpoints.sign() } throws: { e in
            (e as? EngineError)?.kind == .checkpointRefused && "\(e)".contains("rolled back")
        }
        for user in ["erin", "frank", "grace", "heidi", "ivan", "judy"] { _ = try await engine.login(LoginRequest(user: user, device: EngineFixture.laptop)) }
        #expect { try engine.checkpoints.sign() } throws: { e in
            (e as? EngineError)?.kind == .checkpointRefused && "\(e)".contains("forked")
        }
        try await engine.shutdown()  // logs the refusal, does not fail
        #expect(contents(f.dir.appending("checkpoints/latest.note")) == signed)
    }

    @Test("a proof bundle of any event verifies offline; one after the latest checkpoint gets a new checkpoint")
    func bundles() async throws {
        let f = EngineFixture { $0.checkpointInterval = nil }
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "alice", device: EngineFixture.phone))
        let first = try engine.checkpoints.sign()
        for user in ["bob", "carol"] { _ = try await engine.login(LoginRequest(user: user, device: EngineFixture.laptop)) }
        let key = engine.checkpoints.key.verifierKey
        for position in 1...engine.statistics.position {
            let verified = try LogVerifier.verify(bundle: try engine.proofBundle(position: position).text, verifierKey: key)
            #expect(verified.record == (try engine.log.record(at: position)))
        }
        let latest = try #require(engine.checkpoints.latest)
        #expect(latest.checkpoint.size == engine.statistics.position && latest.checkpoint.size > first.checkpoint.size)
        let consistency = try engine.consistencyBundle(from: first.checkpoint.size)
        let (a, b) = try LogVerifier.verify(consistency: consistency.text, old: first.note, verifierKey: key)
        #expect(a == first.checkpoint && b == latest.checkpoint)
        #expect(throws: EngineError.self) { try engine.proofBundle(position: engine.statistics.position + 1) }
        try await engine.shutdown()
    }
}
