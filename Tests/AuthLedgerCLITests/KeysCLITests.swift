import Foundation
import LedgerEngine
import LedgerTesting
import Testing

@Suite("authledger keys")
struct KeysCLITests {
    @Test("rotate-master writes the next master and deletes the previous one, and refuses to run beside a writer")
    func rotateMaster() async throws {
        let dir = TemporaryDirectory()
        var c = EngineConfiguration()
        c.log = .unsafeFast()
        let engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
        let busy = try authledger(["keys", "rotate-master", "--data-dir", dir.path])
        #expect(busy.status != 0, "the engine holds the writer lock")
        try await engine.shutdown()

        let first = try authledger(["keys", "rotate-master", "--data-dir", dir.path])
        #expect(first.status == 0, "\(first.err)")
        // No master existed yet: master 1 is created, then replaced.
        #expect(first.out.contains("master key 2 in use"))
        let second = try authledger(["keys", "rotate-master", "--data-dir", dir.path])
        #expect(second.status == 0, "\(second.err)")
        #expect(second.out.contains("master key 3 in use"))
        let keys = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/keys").filter { $0.hasPrefix("master-") }
        #expect(keys == ["master-3.key"])
    }
}

@Suite("authledger keys rotate-signing")
struct RotateSigningCLITests {
    @Test("publishes a key that waits for the publish-ahead time; --immediately signs with it at once")
    func rotateSigning() async throws {
        let dir = TemporaryDirectory()
        var c = EngineConfiguration()
        c.log = .unsafeFast()
        let original: String
        do {
            let engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
            original = engine.keys.signingKey.kid
            let busy = try authledger(["keys", "rotate-signing", "--data-dir", dir.path])
            #expect(busy.status != 0, "the engine holds the writer lock")
            try await engine.shutdown()
        }
        let waiting = try authledger(["keys", "rotate-signing", "--data-dir", dir.path])
        #expect(waiting.status == 0, "\(waiting.err)")
        #expect(waiting.out.contains("published; it signs from"))
        var engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
        let pending = try #require(engine.keys.pendingRotation)
        #expect(engine.keys.signingKey.kid == original && engine.keys.jwks[pending.kid] != nil)
        try await engine.shutdown()

        let now = try authledger(["keys", "rotate-signing", "--immediately", "--data-dir", dir.path])
        #expect(now.status == 0, "\(now.err)")
        #expect(now.out.contains("signing key \(pending.kid) signs from now on"))
        engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
        #expect(engine.keys.signingKey.kid == pending.kid && engine.keys.pendingRotation == nil)
        try await engine.shutdown()
    }
}
