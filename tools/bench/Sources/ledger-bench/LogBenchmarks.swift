import Glibc
import LedgerCodec
import LedgerLog

/// The log benchmarks. Each prints one JSON line for tools/bench.sh to summarise.
enum LogBenchmarks {
    /// The `i`th (1-based) benchmark event: a refresh rotation for a user picked by the same
    /// multiplicative hash the C baseline uses, so both spread each batch over the user index alike.
    static func rotation(_ i: Int, users: Int) -> PendingEvent {
        let u = Int((UInt64(i) &* 2_654_435_761) % UInt64(users))
        let digits = String(u)
        let user = "user-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
        return AuthEvent.refreshRotated(RefreshRotated(session: SessionID(high: UInt64(u), low: 42), generation: UInt32(i / users + 1), ip: .v4(0xc000_0207))).pending(user: user)
    }

    /// `callers` concurrent tasks each append single events until `events` are written.
    static func append(dir: String, callers: Int, events: Int, durable: Bool, tree: Bool = true, users: Int = 10_000) async throws {
        var config = LogConfiguration()
        config.durability = durable ? .durable : .unsafeNoSync
        config.maintainMerkleTree = tree
        let log = try EventLog(directory: dir, configuration: config)
        let perCaller = events / callers
        // Events are built before the clock starts: this measures the log, not the caller.
        let work = (0..<callers).map { c in (0..<perCaller).map { rotation(c * perCaller + $0 + 1, users: users) } }
        let start = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for mine in work {
                group.addTask {
                    for e in mine { try await log.append(e) }
                }
            }
            try await group.waitForAll()
        }
        let secs = monotonicSeconds() - start
        let total = perCaller * callers
        report(["bench": "log-append", "durable": durable, "tree": tree, "callers": callers, "events": total, "commits": log.commitCount,
                "mean_batch": Double(total) / Double(log.commitCount), "seconds": secs, "per_second": Double(total) / secs])
    }

    /// The writer path alone: `events` events committed synchronously in transactions of `batch`.
    static func commit(dir: String, events: Int, batch: Int, durable: Bool, users: Int = 10_000) throws {
        var config = LogConfiguration()
        config.durability = durable ? .durable : .unsafeNoSync
        let log = try EventLog(directory: dir, configuration: config)
        let batches = stride(from: 0, to: events, by: batch).map { s in (s..<min(events, s + batch)).map { rotation($0 + 1, users: users) } }
        let start = monotonicSeconds()
        for b in batches { _ = try log.commit(groups: [b]) }
        let secs = monotonicSeconds() - start
        report(["bench": "log-commit", "durable": durable, "batch": batch, "events": events, "seconds": secs, "per_second": Double(events) / secs])
    }

    /// Writes `events` rotation events in batches of `batch` (no fsync) and reports bytes per event on disk.
    static func fill(dir: String, events: Int, users: Int, batch: Int = 1024) throws {
        let log = try EventLog(directory: dir, configuration: .unsafeFast())
        var i = 0
        while i < events {
            let n = min(batch, events - i)
            _ = try log.commit(groups: [(i..<(i + n)).map { rotation($0 + 1, users: users) }])
            i += n
        }
        let stats = try log.statistics()
        report(["bench": "log-size", "events": stats.records, "users": users, "file_bytes": stats.fileBytes, "used_bytes": stats.usedBytes,
                "bytes_per_event": Double(stats.usedBytes) / Double(stats.records),
                "file_bytes_per_event": Double(stats.fileBytes) / Double(stats.records)])
    }

    /// Reads and fully decodes every event of an existing log.
    static func scan(dir: String) throws {
        var config = LogConfiguration()
        config.readOnly = true
        let log = try EventLog(directory: dir, configuration: config)
        var n = 0
        var checksum: UInt64 = 0
        let start = monotonicSeconds()
        try log.scan(batchSize: 65_536) { view in
            // The envelope and the typed event; the user id stays in the map (compare it
            // with `view.belongs(to:)`, copy it with `view.user` only when needed).
            let e = try AuthEvent(decoding: view)
            checksum &+= UInt64(truncatingIfNeeded: view.timestamp.microseconds)
            if case let .refreshRotated(r) = e { checksum &+= UInt64(r.generation) }
            n += 1
            return true
        }
        let secs = monotonicSeconds() - start
        report(["bench": "log-scan-decode", "events": n, "seconds": secs, "per_second": Double(n) / secs, "checksum": checksum])
    }
}

extension LogBenchmarks {
    /// The group-commit machinery alone: a handler that does nothing.
    static func queueOverhead(callers: Int, requests: Int, handlerMicroseconds: Int = 0) async throws {
        let queue = GroupCommitQueue<Int, Int>(label: "bench") { batch in
            if handlerMicroseconds > 0 { usleep(UInt32(handlerMicroseconds)) }
            return batch.map { .success($0) }
        }
        let per = requests / callers
        let start = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<callers {
                group.addTask { for i in 0..<per { _ = try await queue.submit(i) } }
            }
            try await group.waitForAll()
        }
        let secs = monotonicSeconds() - start
        report(["bench": "queue-overhead", "callers": callers, "handler_us": handlerMicroseconds, "requests": per * callers, "seconds": secs, "per_second": Double(per * callers) / secs])
    }
}
