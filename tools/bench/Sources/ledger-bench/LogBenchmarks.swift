import Glibc
import LedgerEvents
import LedgerLog

/// The log benchmarks. Each prints one JSON line for tools/bench.sh to summarise.
enum LogBenchmarks {
    static func rotation(_ i: Int, users: Int) -> PendingEvent {
        let user = "user-" + String(repeating: "0", count: max(0, 6 - String(i % users).count)) + String(i % users)
        return AuthEvent.refreshRotated(RefreshRotated(session: SessionID(high: UInt64(i % users), low: 42), generation: UInt32(i / users + 1), ip: .v4(0xc000_0207))).pending(user: user)
    }

    /// `callers` concurrent tasks each append single events until `events` are written.
    static func append(dir: String, callers: Int, events: Int, durable: Bool, users: Int = 10_000) async throws {
        var config = LogConfiguration()
        config.durability = durable ? .durable : .unsafeNoSync
        let log = try EventLog(directory: dir, configuration: config)
        let perCaller = events / callers
        let start = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<callers {
                group.addTask {
                    for i in 0..<perCaller { try await log.append(rotation(c * perCaller + i, users: users)) }
                }
            }
            try await group.waitForAll()
        }
        let secs = monotonicSeconds() - start
        let total = perCaller * callers
        report(["bench": "log-append", "durable": durable, "callers": callers, "events": total, "commits": log.commitCount,
                "mean_batch": Double(total) / Double(log.commitCount), "seconds": secs, "per_second": Double(total) / secs])
    }

    /// Writes `events` rotation events in batches of `batch` (no fsync) and reports bytes per event on disk.
    static func fill(dir: String, events: Int, users: Int, batch: Int = 1024) throws {
        let log = try EventLog(directory: dir, configuration: .unsafeFast())
        var i = 0
        while i < events {
            let n = min(batch, events - i)
            _ = try log.commit(groups: [(i..<(i + n)).map { rotation($0, users: users) }])
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
            let e = try LoggedEvent(view: view)
            if case let .refreshRotated(r) = e.event { checksum &+= UInt64(r.generation) }
            n += 1
            return true
        }
        let secs = monotonicSeconds() - start
        report(["bench": "log-scan-decode", "events": n, "seconds": secs, "per_second": Double(n) / secs, "checksum": checksum])
    }
}
