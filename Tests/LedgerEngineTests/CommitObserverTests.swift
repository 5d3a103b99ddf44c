import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import Synchronization
import Testing

@Suite("Commit observers")
struct CommitObserverTests {
    @Test("every committed batch is reported once, with its commands and the events it appended; refused-only batches write nothing and are not")
    func batches() async throws {
        let dir = TemporaryDirectory()
        var c = EngineConfiguration()
        c.log = .unsafeFast()
        let engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
        let seen = Mutex<[CommitBatch]>([])
        engine.observeCommits { batch in seen.withLock { $0.append(batch) } }
        let before = engine.statistics.position
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<64 {
                group.addTask { _ = try await engine.login(LoginRequest(user: "user\(i % 8)", device: Device(label: "Phone \(i)"))) }
            }
            try await group.waitForAll()
        }
        await #expect(throws: EngineError.self) { try await engine.refresh("alr1_not-a-token") }
        let batches = seen.withLock { $0 }
        #expect(batches.reduce(0) { $0 + $1.commands } == 64)
        #expect(UInt64(batches.reduce(0) { $0 + $1.events }) == engine.statistics.position - before)
        #expect(batches.allSatisfy { $0.commands >= 1 && $0.events >= $0.commands && $0.duration > .zero })
        try await engine.shutdown()
    }
}
