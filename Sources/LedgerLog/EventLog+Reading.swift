import LedgerCodec
import CLMDB

extension EventLog {
    /// Calls `body` for each record from `start` through `end`, in order, until it returns
    /// false. Reads in batches of `batchSize` records, each in a fresh read transaction, so
    /// a long scan never pins old pages. `body` must not touch this log.
    /// - Returns: the position after the last record visited.
    @discardableResult
    package func scan(from start: UInt64 = 1, through end: UInt64 = .max, batchSize: Int = 4096,
                     _ body: (RecordView) throws -> Bool) throws -> UInt64 {
        try walk(from: start, through: end, batchSize: batchSize, visit: body, endOfBatch: { true })
    }

    /// Like ``scan(from:through:batchSize:_:)``, but hands over each read transaction's
    /// records at once, so that a caller can look ahead within a batch (replay prefetches
    /// the state the next records will touch). The views are valid only during the call.
    /// Stops when `body` returns false.
    package func scanBatches(from start: UInt64 = 1, through end: UInt64 = .max, batchSize: Int = 4096,
                            _ body: ([RecordView]) throws -> Bool) throws {
        var views: [RecordView] = []
        views.reserveCapacity(min(batchSize, 1 << 16))
        try walk(from: start, through: end, batchSize: batchSize,
                 visit: { views.append($0); return true },
                 endOfBatch: {
                     defer { views.removeAll(keepingCapacity: true) }
                     return try body(views)
                 })
    }

    /// The loop both scans share: records `start` through `end`, at most `batchSize` per
    /// read transaction. `visit` sees each record and `endOfBatch` runs after each
    /// transaction's records; either stops the walk by returning false.
    /// - Returns: the position after the last record visited.
    @discardableResult
    private func walk(from start: UInt64, through end: UInt64, batchSize: Int,
                      visit: (RecordView) throws -> Bool, endOfBatch: () throws -> Bool) throws -> UInt64 {
        var next = max(start, 1)
        while next <= end {
            let (visited, stop) = try translatingErrors {
                try env.read { txn in
                    try txn.withCursor(logDB) { cursor -> (UInt64, Bool) in
                        var count = 0
                        var entry = try cursor.seek(integerKey: next)
                        var pos = next
                        var reachedEnd = false
                        while let e = entry, count < batchSize {
                            guard let key = e.integerKey, key < .max else {
                                throw LogError(.corruptRecord(position: pos, "the log holds a key that is not a valid position after this one"))
                            }
                            pos = key
                            if pos > end { reachedEnd = true; break }
                            if try !visit(try RecordView(position: pos, bytes: e.value)) { return (pos + 1, true) }
                            count += 1
                            pos += 1
                            entry = try cursor.move(MDB_NEXT)
                        }
                        if count > 0, try !endOfBatch() { return (pos, true) }
                        return (pos, reachedEnd || entry == nil)
                    }
                }
            }
            next = visited
            if stop { break }
        }
        return next
    }

    /// Calls `body` for each record without a user (key lifecycle events and the like),
    /// oldest first, until it returns false: through the `global` index, so the cost
    /// depends on how many there are, not on the log's length. (A read-only open of a log
    /// written before the index existed scans instead, with the same result.)
    package func scanGlobal(_ body: (RecordView) throws -> Bool) throws {
        guard let globalDB else {
            try scan { view in view.hasUser ? true : try body(view) }
            return
        }
        try scanIndexed(globalDB, name: "global", from: 1, batchSize: 1024, step: MDB_NEXT,
                        seek: { cursor, next in try cursor.seek(integerKey: next) },
                        position: { entry, next in
                            guard let pos = entry.integerKey, pos >= next, pos < .max else {
                                throw LogError(.corruptRecord(position: next, "the global index holds a key that is not a position"))
                            }
                            return pos
                        }, body)
    }

    /// Up to `limit` records starting at `start`, copied out of the map.
    public func read(from start: UInt64, limit: Int = 1024) throws -> [EventRecord] {
        var out: [EventRecord] = []
        guard limit > 0 else { return out }
        try scan(from: start, batchSize: limit) { view in
            out.append(view.materialize())
            return out.count < limit
        }
        return out
    }

    /// One record, or nil if `position` is past the head.
    public func record(at position: UInt64) throws -> EventRecord? {
        try translatingErrors {
            try env.read { txn in
                try txn.get(logDB, integerKey: position) { bytes in
                    try RecordView(position: position, bytes: bytes).materialize()
                }
            }
        }
    }

    /// Calls `body` for each of `user`'s records at or after `start`, oldest first, reading
    /// through the per-user index (no log scan). `body` must not touch this log.
    package func scan(user: String, from start: UInt64 = 1, batchSize: Int = 1024,
                     _ body: (RecordView) throws -> Bool) throws {
        let userBytes = Array(user.utf8)
        guard !userBytes.isEmpty else { return }
        try scanIndexed(usersDB, name: "user", from: max(start, 1), batchSize: batchSize, step: MDB_NEXT_DUP,
                        seek: { cursor, next in
                            var seed = next
                            return try userBytes.withUnsafeBytes { u in
                                try withUnsafeBytes(of: &seed) { s in try cursor.move(MDB_GET_BOTH_RANGE, key: u, value: s) }
                            }
                        },
                        position: { entry, next in
                            guard entry.value.count == 8 else {
                                throw LogError(.corruptRecord(position: next, "the user index holds an entry that is not an 8-byte position"))
                            }
                            let pos = entry.value.loadUnaligned(as: UInt64.self)
                            guard pos < .max else { throw LogError(.corruptRecord(position: pos, "the user index names an impossible position")) }
                            return pos
                        }, body)
    }

    /// Visits, oldest first, the records an index names (`position` reads one entry's
    /// position), `batchSize` per read transaction, until `body` returns false.
    private func scanIndexed(_ index: MDB_dbi, name: String, from start: UInt64, batchSize: Int, step: MDB_cursor_op,
                             seek: (LMDBCursor, UInt64) throws -> LMDBCursor.Entry?,
                             position: (LMDBCursor.Entry, UInt64) throws -> UInt64,
                             _ body: (RecordView) throws -> Bool) throws {
        var next = start
        while true {
            let (resume, done) = try translatingErrors {
                try env.read { txn in
                    try txn.withCursor(index) { cursor -> (UInt64, Bool) in
                        var entry = try seek(cursor, next)
                        var count = 0
                        while let e = entry, count < batchSize {
                            let pos = try position(e, next)
                            guard let keep = try txn.get(logDB, integerKey: pos, { bytes in try body(try RecordView(position: pos, bytes: bytes)) }) else {
                                throw LogError(.corruptRecord(position: pos, "the \(name) index names position \(pos), which is not in the log"))
                            }
                            if !keep { return (pos + 1, true) }
                            next = pos + 1
                            count += 1
                            entry = try cursor.move(step)
                        }
                        return (next, entry == nil)
                    }
                }
            }
            next = resume
            if done { return }
        }
    }

    /// All of `user`'s records at or after `start`, oldest first.
    public func events(ofUser user: String, from start: UInt64 = 1) throws -> [EventRecord] {
        var out: [EventRecord] = []
        try scan(user: user, from: start) { out.append($0.materialize()); return true }
        return out
    }

    /// The number of distinct users in the per-user index.
    public func userCount() throws -> Int {
        try translatingErrors {
            try env.read { txn in
                try txn.withCursor(usersDB) { cursor in
                    var n = 0
                    var entry = try cursor.move(MDB_FIRST)
                    while entry != nil {
                        n += 1
                        entry = try cursor.move(MDB_NEXT_NODUP)
                    }
                    return n
                }
            }
        }
    }

    /// Follows the log from `position` on: catches up from disk, then yields each new
    /// commit as it lands. Every record is yielded exactly once, in order.
    public func tail(from position: UInt64 = 1, batchSize: Int = 1024) -> LogTail {
        LogTail(log: self, next: max(position, 1), batchSize: batchSize)
    }

    /// Maps LMDB errors to ``LogError`` once, here at the boundary.
    func translatingErrors<R>(_ body: () throws -> R) throws(LogError) -> R {
        do { return try body() } catch let e as LogError { throw e } catch let e as RecordError { throw LogError(e) } catch let e as LMDBError {
            throw LogError(.storage(e))
        } catch {
            throw LogError(.storage(LMDBError(code: -1, operation: "read: \(error)")))
        }
    }
}
