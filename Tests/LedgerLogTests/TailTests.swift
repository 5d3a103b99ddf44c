import LedgerCodec
import LedgerLog
import LedgerTesting
import Testing

@Suite("Live tail")
struct TailTests {
    /// Collects `count` records from a tail starting at `start`.
    func collect(_ log: EventLog, from start: UInt64, count: Int, batchSize: Int = 64) async throws -> [EventRecord] {
        var out: [EventRecord] = []
        for try await record in log.tail(from: start, batchSize: batchSize) {
            out.append(record)
            if out.count == count { break }
        }
        return out
    }

    @Test("tails started before, during and after appends each see every event exactly once, in order")
    func exactlyOnceInOrder() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let writers = 6, perWriter = 2_000
        let total = writers * perWriter
        try await log.append((1...100).map { rotation("pre", generation: UInt32($0)) })
        let early = Task { try await collect(log, from: 1, count: total + 100) }
        let fromMiddle = Task { try await collect(log, from: 50, count: total + 51, batchSize: 7) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<writers {
                group.addTask {
                    for i in 0..<perWriter {
                        // Mix single and multi-event appends so commits have uneven sizes.
                        if i % 10 == 0 {
                            try await log.append([rotation("w\(w)", generation: UInt32(i)), rotation("w\(w)", generation: UInt32(i))])
                        } else {
                            try await log.append(rotation("w\(w)", generation: UInt32(i)))
                        }
                    }
                }
            }
            // A tail that starts while the writers are running.
            group.addTask {
                try await Task.sleep(for: .milliseconds(20))
                let records = try await collect(log, from: 1, count: 1_000)
                #expect(records.map(\.position) == Array(1...1_000))
            }
            try await group.waitForAll()
        }
        let expectedTotal = 100 + total + writers * perWriter / 10
        let all = try allRecords(log)
        #expect(all.count == expectedTotal)
        let a = try await early.value
        #expect(a.map(\.position) == Array(1...UInt64(total + 100)))
        #expect(a == Array(all.prefix(total + 100)))
        let b = try await fromMiddle.value
        #expect(b.map(\.position) == Array(50...UInt64(total + 100)))
        // A tail started after everything catches up from disk.
        let late = try await collect(log, from: 1, count: expectedTotal, batchSize: 1000)
        #expect(late == all)
    }

    @Test("a caught-up tail wakes for the next commit and stops when cancelled")
    func waitsAndCancels() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let waiting = Task { try await collect(log, from: 1, count: 1) }
        try await Task.sleep(for: .milliseconds(50))
        try await log.append(rotation("x", generation: 1))
        #expect(try await waiting.value.map(\.position) == [1])

        let cancelled = Task { () -> Int in
            var n = 0
            for try await _ in log.tail(from: 2) { n += 1 }
            return n
        }
        try await Task.sleep(for: .milliseconds(50))
        cancelled.cancel()
        #expect(try await cancelled.value == 0)
    }
}
