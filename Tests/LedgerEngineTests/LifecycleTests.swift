import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerLog
import LedgerTesting
import ServiceLifecycle
import Logging
import Foundation
import Testing

@Suite("Lifecycle")
struct LifecycleTests {
    @Test("open, shut down and reopen in one process, many times, with the old engine still referenced")
    func reopenManyTimes() async throws {
        let f = EngineFixture()
        var previous: [AuthEngine] = []   // kept alive: the lock must not wait for deinit
        var expected = 0
        for round in 0..<40 {
            let engine = try await f.open()
            #expect(engine.statistics.sessions == expected, "round \(round)")
            _ = try await engine.login(LoginRequest(user: "u\(round)", device: EngineFixture.phone))
            expected += 1
            try await engine.shutdown()
            try await engine.shutdown()   // idempotent
            previous.append(engine)
        }
        let last = try await f.open()
        #expect(last.startup.replayedEvents == 0)   // the final snapshot covered everything
        #expect(last.statistics.sessions == 40)
    }

    @Test("shutdown refuses new commands, finishes those already taken, and every answer is true after reopening")
    func drainsCommands() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        var tokens: [SessionTokens] = []
        for i in 0..<64 { tokens.append(try await engine.login(LoginRequest(user: "u\(i)", device: EngineFixture.phone)).tokens) }
        let results = await withTaskGroup(of: (Int, Result<SessionTokens, EngineError>).self) { group in
            for (i, t) in tokens.enumerated() {
                group.addTask { (i, await attemptAny { try await engine.refresh(t.refreshToken) }) }
            }
            group.addTask {
                try? await engine.shutdown()
                return (-1, .failure(EngineError(.storage, "marker")))
            }
            return await group.reduce(into: [Int: Result<SessionTokens, EngineError>]()) { $0[$1.0] = $1.1 }
        }
        await #expect { _ = try await engine.login(LoginRequest(user: "late", device: EngineFixture.phone)) } throws: {
            ($0 as? EngineError)?.kind == .shuttingDown
        }
        let reopened = try await f.open()
        for (i, t) in tokens.enumerated() {
            switch results[i]! {
            case let .success(next):
                #expect(reopened.refreshTokenStatus(next.refreshToken) == .current, "answered, so durable")
            case let .failure(e):
                #expect(e.kind == .shuttingDown)
                #expect(reopened.refreshTokenStatus(t.refreshToken) == .current, "refused, so nothing changed")
            }
        }
    }

    @Test("shutdown waits for a background snapshot and leaves no temporary file")
    func waitsForBackgroundSnapshots() async throws {
        let f = EngineFixture { $0.snapshotEveryEvents = 10 }
        let engine = try await f.open()
        for i in 0..<200 { _ = try await engine.login(LoginRequest(user: "u\(i)", device: EngineFixture.phone)) }
        try await engine.shutdown()
        let names = try FileManager.default.contentsOfDirectory(atPath: f.dir.appending("snapshots"))
        #expect(!names.isEmpty && names.allSatisfy { $0.hasSuffix(".alsnap") }, "\(names)")
    }

    @Test("as a Service: a graceful shutdown of the group shuts the engine down")
    func service() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let group = ServiceGroup(configuration: .init(services: [engine], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            _ = try await engine.login(LoginRequest(user: "a", device: EngineFixture.phone))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(!engine.isRunning)
        #expect(try await f.open().startup.replayedEvents == 0)
    }
}
