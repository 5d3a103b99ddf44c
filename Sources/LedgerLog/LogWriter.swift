import LedgerCodec
import CLMDB
import LedgerCrypto
import Synchronization

/// Writes batches of events in single LMDB write transactions, chaining hashes and
/// maintaining the per-user index, and grows the map when it fills.
final class LogWriter: Sendable {
    private struct Scratch {
        let hasher = SHA256()
        let record = RecordBuffer()
    }

    private let env: LMDBEnvironment
    private let logDB: MDB_dbi
    private let usersDB: MDB_dbi
    private let globalDB: MDB_dbi
    private let merkleDB: MDB_dbi
    private let userKeysDB: MDB_dbi
    private let configuration: LogConfiguration
    private let signal: CommitSignal
    // One writer at a time; also guards the scratch buffers reused across batches.
    private let scratch: Mutex<Scratch>
    /// Committed write transactions, for metrics and the average batch size.
    let commits = Atomic<UInt64>(0)

    init(env: LMDBEnvironment, logDB: MDB_dbi, usersDB: MDB_dbi, globalDB: MDB_dbi, userKeysDB: MDB_dbi, merkleDB: MDB_dbi,
         configuration: LogConfiguration, signal: CommitSignal) {
        self.userKeysDB = userKeysDB
        self.merkleDB = merkleDB
        self.env = env
        self.logDB = logDB
        self.usersDB = usersDB
        self.globalDB = globalDB
        self.configuration = configuration
        self.signal = signal
        self.scratch = Mutex(Scratch())
    }

    /// The last record's position and chain hash, read inside `txn`.
    static func lastRecord(_ txn: LMDBTransaction, _ logDB: MDB_dbi) throws -> LogHead {
        try last(txn, logDB).head
    }

    /// The last record's position, chain hash and timestamp (nil for an empty log).
    static func last(_ txn: LMDBTransaction, _ logDB: MDB_dbi) throws -> (head: LogHead, timestamp: Timestamp?) {
        try txn.withCursor(logDB) { cursor in
            guard let e = try cursor.move(MDB_LAST) else { return (.empty, nil) }
            guard let position = e.integerKey, position < .max else {
                throw LogError(.corruptRecord(position: e.integerKey ?? 0, "the last key of the log is not a valid position"))
            }
            let view = try RecordView(position: position, bytes: e.value)
            return (LogHead(position: position, chainHash: view.chainHash), view.timestamp)
        }
    }

    /// The group committer's handler: one transaction for all groups; if it fails,
    /// every caller gets the error.
    func commitEach(_ groups: [[PendingEvent]]) -> [Result<AppendReceipt, any Error>] {
        do {
            return try commit(groups).map { .success($0) }
        } catch {
            return groups.map { _ in .failure(error) }
        }
    }

    func commit(_ groups: [[PendingEvent]], keyChanges: [UserKeyChange] = []) throws(LogError) -> [AppendReceipt] {
        let (receipts, head) = try scratch.withLock { scratch throws(LogError) in
            while true {
                do {
                    return try env.write { txn in
                        let written = try write(groups, txn, &scratch)
                        try UserKeyDatabase.apply(keyChanges, in: txn, userKeysDB)
                        // The tree's blocks completed by these records, in the same transaction.
                        if configuration.maintainMerkleTree {
                            try MerkleStore.appended(through: written.1.position, txn, merkleDB, logDB, MerkleHasher(scratch.hasher))
                        }
                        return written
                    }
                } catch let e as LMDBError where e.isMapFull {
                    try grow()
                } catch let e as LMDBError {
                    throw LogError(.storage(e))
                } catch let e as LogError {
                    throw e
                } catch let e as RecordError {
                    throw LogError(e)
                } catch {
                    throw LogError(.storage(LMDBError(code: -1, operation: "commit: \(error)")))
                }
            }
        }
        commits.add(1, ordering: .relaxed)
        signal.published(head.position)
        return receipts
    }

    private func write(_ groups: [[PendingEvent]], _ txn: LMDBTransaction, _ scratch: inout Scratch) throws -> ([AppendReceipt], LogHead) {
        // Chain from what is on disk, not from memory, so a failed commit leaves nothing stale.
        var (head, lastTime) = try Self.last(txn, logDB)
        // Time never goes backwards in the log: a clock stepped back (or an event dated
        // earlier than the last one) is recorded at the last record's time.
        var floor = lastTime ?? Timestamp(microseconds: .min)
        let now = configuration.clock.now()
        var receipts: [AppendReceipt] = []
        receipts.reserveCapacity(groups.count)
        for group in groups {
            let first = head.position + 1
            var groupTime: Timestamp?
            for event in group {
                let position = head.position + 1
                let time = max(event.timestamp ?? now, floor)
                floor = time
                if groupTime == nil { groupTime = time }
                let record = RecordLayout.encode(event, timestamp: time, into: scratch.record)
                let bodySize = record.count - RecordLayout.hashSize
                let chain = RecordLayout.chainHash(previous: head.chainHash, position: position,
                                                   body: UnsafeRawBufferPointer(rebasing: record[..<bodySize]), hasher: scratch.hasher)
                chain.withUnsafeBytes { h in
                    UnsafeMutableRawBufferPointer(rebasing: record[bodySize...]).copyMemory(from: h)
                }
                var key = position
                try withUnsafeBytes(of: &key) { k in
                    try txn.put(logDB, key: k, value: UnsafeRawBufferPointer(record), flags: MDB_APPEND)
                    let userLength = Int(record[3])
                    if userLength > 0 {
                        // The user id was just copied into the record: index it from there.
                        let u = UnsafeRawBufferPointer(rebasing: record[RecordLayout.headerSize..<(RecordLayout.headerSize + userLength)])
                        // Positions only grow, so each user's list is appended at its end.
                        try txn.put(usersDB, key: u, value: k, flags: MDB_APPENDDUP)
                    } else {
                        try GlobalIndex.add(position: position, type: record[1], in: txn, globalDB)
                    }
                }
                head = LogHead(position: position, chainHash: chain)
            }
            receipts.append(AppendReceipt(positions: first..<(head.position + 1), timestamp: groupTime ?? max(now, floor), head: head))
        }
        // Every receipt reports the head after the whole transaction.
        for i in receipts.indices { receipts[i].head = head }
        return (receipts, head)
    }

    private func grow() throws(LogError) { try env.grow(upTo: configuration.maxMapSize) }
}

extension LMDBEnvironment {
    /// Doubles the map (at least +1 MiB, at most `maxMapSize`) after `MDB_MAP_FULL`; the
    /// caller retries its transaction whole.
    func grow(upTo maxMapSize: Int) throws(LogError) {
        let current = mapSize
        guard current < maxMapSize else { throw LogError(.full(mapSize: current)) }
        let next = min(maxMapSize, max(current * 2, current + (1 << 20)))
        do { try resize(to: next) } catch { throw LogError(.storage(error)) }
    }
}
