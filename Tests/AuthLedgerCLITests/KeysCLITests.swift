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
