import CLMDB
import LedgerCodec
@testable import LedgerLog
import LedgerTesting
import Testing

@Suite("Event log")
struct EventLogTests {
    @Test("appended events survive close and reopen, with the same head")
    func durableAcrossReopen() async throws {
        let dir = TemporaryDirectory()
        let clock = ManualClock()
        var written: [EventRecord] = []
        var head = LogHead.empty
        do {
            var config = LogConfiguration()  // durable: fsync on every commit
            config.clock = clock
            let log = try EventLog(directory: dir.appending("data"), configuration: config)
            for g in 1...50 {
                clock.advance(seconds: 1)
                let receipt = try await log.append(rotation("alice", generation: UInt32(g)))
                #expect(receipt.positions == UInt64(g)..<UInt64(g + 1))
                #expect(receipt.timestamp == clock.now())
            }
            written = try allRecords(log)
            head = try log.head()
        }
        let reopened = try openLog(dir)
        #expect(try allRecords(reopened) == written)
        #expect(try reopened.head() == head)
        #expect(head.position == 50)
        #expect(written.map(\.timestamp.microseconds) == (1...50).map { clock.now().microseconds - Int64(50 - $0) * 1_000_000 })
        // Appends continue the chain after reopening.
        try await reopened.append(rotation("alice", generation: 51))
        #expect(try reopened.verifyChain().isIntact)
        #expect(try reopened.head().position == 51)
    }

    @Test("8 concurrent writers × 10,000 appends get contiguous, unique positions")
    func concurrentWritersContiguous() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let perWriter = 10_000
        let positions = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for w in 0..<8 {
                group.addTask {
                    var mine: [UInt64] = []
                    mine.reserveCapacity(perWriter)
                    for i in 0..<perWriter {
                        let r = try await log.append(rotation("writer-\(w)", generation: UInt32(i)))
                        mine.append(r.positions.lowerBound)
                    }
                    return mine
                }
            }
            var all: [[UInt64]] = []
            for try await p in group { all.append(p) }
            return all
        }
        for mine in positions { #expect(mine == mine.sorted()) }
        let flat = positions.flatMap { $0 }.sorted()
        #expect(flat == Array(1...UInt64(8 * perWriter)))
        var expected: UInt64 = 1
        var perUser: [String: UInt32] = [:]
        try log.scan { view in
            #expect(view.position == expected)
            expected += 1
            // Each writer's events are in the order that writer appended them.
            guard case let .refreshRotated(r) = try AuthEvent(decoding: view) else { Issue.record("wrong type"); return false }
            let user = view.user!
            if let last = perUser[user] { #expect(r.generation == last + 1) }
            perUser[user] = r.generation
            return true
        }
        #expect(expected == UInt64(8 * perWriter + 1))
        #expect(try log.verifyChain().isIntact)
    }

    @Test("one append call gets consecutive positions even under concurrency")
    func multiEventAppendIsContiguous() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let receipts = try await withThrowingTaskGroup(of: AppendReceipt.self) { group in
            for w in 0..<16 {
                group.addTask { try await log.append((0..<5).map { rotation("u\(w)", generation: UInt32($0)) }) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for r in receipts { #expect(r.positions.count == 5) }
        let starts = receipts.map(\.positions.lowerBound).sorted()
        #expect(starts == stride(from: UInt64(1), through: 76, by: 5).map { $0 })
    }

    @Test("invalid events are refused before anything is written")
    func invalidEvents() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let tooLong = String(repeating: "u", count: 256)
        await #expect(throws: LogError.self) { try await log.append(rotation(tooLong, generation: 1)) }
        await #expect(throws: LogError.self) {
            try await log.append(PendingEvent(type: 0, schemaVersion: 1, user: nil, payload: []))
        }
        await #expect(throws: LogError.self) {
            try await log.append([rotation("ok", generation: 1), rotation("", generation: 2)])
        }
        #expect(try log.head() == .empty)
    }

    @Test("a second writer on the same directory is refused with a clear error")
    func writerLock() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        do {
            _ = try openLog(dir)
            Issue.record("second writer opened")
        } catch let e as LogError {
            guard case .locked = e.kind else { Issue.record("unexpected \(e)"); return }
            #expect(e.description.contains("read-only"))
        }
        _ = log
    }

    @Test("read-only open of a missing directory names the problem")
    func readOnlyMissingDirectory() throws {
        let dir = TemporaryDirectory()
        var config = LogConfiguration()
        config.readOnly = true
        #expect {
            _ = try EventLog(directory: dir.appending("nope"), configuration: config)
        } throws: { e in
            (e as? LogError)?.description.contains("does not exist") == true
        }
    }

    @Test("the map grows from a tiny start without losing an append, while readers run")
    func mapGrowth() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir, mapSize: 64 << 10)
        let initial = try log.statistics().mapBytes
        let total = 40_000
        let readers = Task {
            var scans = 0
            while !Task.isCancelled {
                var last: UInt64 = 0
                try log.scan(batchSize: 512) { v in
                    #expect(v.position == last + 1)
                    last = v.position
                    return true
                }
                scans += 1
                await Task.yield()
            }
            return scans
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    for i in 0..<(total / 4) { try await log.append(rotation("grow-\(w)", generation: UInt32(i))) }
                }
            }
            try await group.waitForAll()
        }
        readers.cancel()
        _ = try await readers.value
        let stats = try log.statistics()
        #expect(stats.records == total)
        #expect(stats.mapBytes > initial)
        #expect(try log.verifyChain().checked == UInt64(total))
    }

    @Test("reading from the middle, single records, and past the head")
    func reading() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...10 { try await log.append(rotation("r", generation: UInt32(g))) }
        #expect(try log.read(from: 4, limit: 3).map(\.position) == [4, 5, 6])
        #expect(try log.read(from: 9, limit: 100).map(\.position) == [9, 10])
        #expect(try log.read(from: 11).isEmpty)
        #expect(try log.record(at: 7)?.position == 7)
        #expect(try log.record(at: 11) == nil)
        var seen: [UInt64] = []
        try log.scan(from: 3, through: 5, batchSize: 1) { seen.append($0.position); return true }
        #expect(seen == [3, 4, 5])
    }

    @Test("batched scans hand over every record once, in order, in batches of at most the size asked, and stop when told")
    func batchedScan() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...10 { try await log.append(rotation("r", generation: UInt32(g))) }
        var batches: [[UInt64]] = []
        try log.scanBatches(from: 2, through: 9, batchSize: 3) { views in batches.append(views.map(\.position)); return true }
        #expect(batches == [[2, 3, 4], [5, 6, 7], [8, 9]])
        batches = []
        try log.scanBatches(batchSize: 4) { views in batches.append(views.map(\.position)); return batches.count < 2 }
        #expect(batches == [[1, 2, 3, 4], [5, 6, 7, 8]])
        var all: [UInt64] = []
        try log.scanBatches(from: 8) { views in all += views.map(\.position); return true }
        #expect(all == [8, 9, 10])
        try log.scanBatches(from: 11) { _ in Issue.record("no batch past the head"); return true }
    }
}

@Suite("Read-only access")
struct ReadOnlyTests {
    @Test("a read-only open reads everything a writer left and refuses appends")
    func readOnly() async throws {
        let dir = TemporaryDirectory()
        var written: [EventRecord] = []
        do {
            let log = try openLog(dir)
            for g in 1...30 { try await log.append(rotation(g % 2 == 0 ? "even" : "odd", generation: UInt32(g))) }
            written = try allRecords(log)
        }
        let reader = try openReader(dir)
        #expect(try allRecords(reader) == written)
        #expect(try reader.events(ofUser: "even").count == 15)
        #expect(try reader.head().position == 30)
        #expect(try reader.verifyChain().isIntact)
        var tailed: [UInt64] = []
        for try await r in reader.tail(from: 29) {
            tailed.append(r.position)
            if tailed.count == 2 { break }
        }
        #expect(tailed == [29, 30])
        await #expect {
            try await reader.append(rotation("x", generation: 1))
        } throws: { ($0 as? LogError)?.kind == .readOnly }
    }
}

@Suite("Index of records without a user")
struct GlobalIndexTests {
    static func keyEvent(_ n: Int) -> PendingEvent {
        AuthEvent.signingKeyActivated(SigningKeyChanged(kid: "k\(n)")).pending(user: nil)
    }

    /// The records without a user, as a full scan finds them.
    static func scanned(_ log: EventLog) throws -> [UInt64] {
        var out: [UInt64] = []
        try log.scan { v in
            if !v.hasUser { out.append(v.position) }
            return true
        }
        return out
    }

    static func indexed(_ log: EventLog) throws -> [UInt64] {
        var out: [UInt64] = []
        try log.scanGlobal { out.append($0.position); return true }
        return out
    }

    @Test("scanGlobal finds exactly the records without a user, in order, from writers and readers, and stops when told")
    func matchesScan() async throws {
        let dir = TemporaryDirectory()
        do {
            let log = try openLog(dir)
            for i in 0..<3_000 {
                if i % 97 == 0 { try await log.append(Self.keyEvent(i)) } else { try await log.append(rotation("u\(i % 7)", generation: UInt32(i))) }
            }
            _ = try log.commit(groups: [[Self.keyEvent(1), rotation("x", generation: 1), Self.keyEvent(2)]])
            let expected = try Self.scanned(log)
            #expect(expected.count == 33)
            #expect(try Self.indexed(log) == expected)
            var firstTwo: [UInt64] = []
            try log.scanGlobal { firstTwo.append($0.position); return firstTwo.count < 2 }
            #expect(firstTwo == Array(expected.prefix(2)))
        }
        let reader = try openReader(dir)
        #expect(reader.globalDB != nil)
        #expect(try Self.indexed(reader) == (try Self.scanned(reader)))
    }

    @Test("a log from before the index: readers fall back to a scan, and the next writer builds the index")
    func upgrade() async throws {
        let dir = TemporaryDirectory()
        var expected: [UInt64] = []
        do {
            let log = try openLog(dir)
            for i in 0..<500 {
                try await log.append(i % 50 == 3 ? Self.keyEvent(i) : rotation("u", generation: UInt32(i)))
            }
            expected = try Self.scanned(log)
            try log.dropGlobalIndexForTesting()
        }
        do {
            let reader = try openReader(dir)
            #expect(reader.globalDB == nil)
            #expect(try Self.indexed(reader) == expected)
        }
        do {
            let writer = try openLog(dir)
            #expect(try Self.indexed(writer) == expected)
            try await writer.append(Self.keyEvent(9_999))
            expected.append(501)
        }
        let reader = try openReader(dir)
        #expect(reader.globalDB != nil)
        #expect(try Self.indexed(reader) == expected)
    }
}

@Suite("Bounded records")
struct BoundedRecordTests {
    @Test("a record of 65,535 bytes is stored and read back; one byte more is refused and nothing is written")
    func recordCap() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let user = "u"
        let fixed = 12 + user.utf8.count + 32
        let largest = PendingEvent(type: 200, schemaVersion: 1, user: user, payload: [UInt8](repeating: 7, count: 65_535 - fixed))
        try await log.append(largest)
        #expect(try #require(try log.record(at: 1)).storedBytes.count == 65_535)
        let tooLarge = PendingEvent(type: 200, schemaVersion: 1, user: user, payload: [UInt8](repeating: 7, count: 65_536 - fixed))
        await #expect(throws: LogError.self) { try await log.append(tooLarge) }
        #expect(throws: LogError.self) { _ = try log.commit(groups: [[tooLarge]]) }
        #expect(try log.head().position == 1)
    }
}

@Suite("Time in the log")
struct LogTimeTests {
    @Test("timestamps never go backwards: a clock stepped back, or an event dated earlier, is recorded at the last record's time")
    func clampedToTheLast() async throws {
        let dir = TemporaryDirectory()
        let clock = ManualClock()
        let log = try openLog(dir, clock: clock)
        let first = try await log.append(rotation("a", generation: 1)).timestamp
        clock.advance(microseconds: -5_000_000)
        let second = try await log.append(rotation("a", generation: 2))
        #expect(second.timestamp == first)
        let dated = try await log.append([PendingEvent(type: 2, schemaVersion: 1, user: "a", payload: rotation("a", generation: 3).payload,
                                                       timestamp: first.adding(microseconds: -1))])
        #expect(dated.timestamp == first)
        clock.advance(microseconds: 6_000_000)
        let later = try await log.append(rotation("a", generation: 4)).timestamp
        #expect(later == first.adding(microseconds: 1_000_000))
        let times = try allRecords(log).map(\.timestamp)
        #expect(times == times.sorted())
    }
}
