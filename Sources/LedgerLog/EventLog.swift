import LedgerCodec
import CLMDB
import Glibc
import LedgerCrypto
import Synchronization

/// The append-only, hash-chained log of auth events, kept in one LMDB environment.
///
/// - Positions start at 1 and grow by exactly 1; records are appended with `MDB_APPEND`.
/// - Each record's chain hash covers the previous chain hash, its position and its bytes,
///   so any edit, removal or reordering is detectable (``verifyChain(progress:)``).
/// - A per-user index is written in the same transaction as each append.
/// - ``append(_:)`` group-commits: concurrent callers share one durable transaction and
///   each resumes only after it has been fsync'd.
///
/// One process writes (it holds `writer.lock`); any number of processes may open the same
/// directory with ``LogConfiguration/readOnly`` while it runs.
public final class EventLog: Sendable {
    /// The data directory.
    public let directory: String
    public let configuration: LogConfiguration

    let env: LMDBEnvironment
    let logDB: MDB_dbi
    let usersDB: MDB_dbi
    /// Positions of records without a user (key events and the like), so that readers of
    /// those few need not scan the log. Nil only when a read-only open finds a log written
    /// before the index existed (the next writer builds it); readers then scan.
    let globalDB: MDB_dbi?
    /// Users' wrapped data keys (``UserKeyChange``); nil only when a read-only open finds
    /// a log no writer of this version has opened.
    let userKeysDB: MDB_dbi?
    /// The stored part of the log's Merkle tree (``MerkleStore``); nil only for a read-only
    /// open of a log whose tree no writer has built yet (proofs then hash the records).
    let merkleDB: MDB_dbi?
    let signal = CommitSignal()
    private let writer: LogWriter?
    private let appendQueue: GroupCommitQueue<[PendingEvent], AppendReceipt>?

    /// Opens (creating if needed, unless read-only) the log in `directory`.
    public init(directory: String, configuration: LogConfiguration = LogConfiguration()) throws(LogError) {
        self.directory = directory
        self.configuration = configuration
        try Self.prepareDirectory(directory, readOnly: configuration.readOnly)
        let lockFile = configuration.readOnly ? nil : try WriterLockFile(directory: directory)
        do {
            var options = LMDBEnvironment.Options(mapSize: configuration.initialMapSize)
            options.writerLock = lockFile
            options.readOnly = configuration.readOnly
            options.noSync = configuration.durability == .unsafeNoSync
            options.maxReaders = configuration.maxReaders
            options.maxDatabases = 8  // log, users, global, userkeys, merkle, and room to grow
            let env = try LMDBEnvironment(path: directory, options: options)
            self.env = env
            // DBIs are opened once in a write transaction (read-only: a read transaction)
            // and then shared by every transaction, as LMDB requires.
            let open: (LMDBTransaction) throws -> (MDB_dbi, MDB_dbi) = { txn in
                (try env.openDatabase("log", flags: MDB_INTEGERKEY, in: txn),
                 try env.openDatabase("users", flags: MDB_DUPSORT | MDB_DUPFIXED | MDB_INTEGERDUP, in: txn))
            }
            let (log, users) = configuration.readOnly ? try env.read(keepHandles: true, open) : try env.write(open)
            let global: (LMDBTransaction) throws -> MDB_dbi? = { txn in try GlobalIndex.open(env, in: txn, logDB: log) }
            (logDB, usersDB) = (log, users)
            globalDB = configuration.readOnly ? try env.read(keepHandles: true, global) : try env.write(global)
            let keys: (LMDBTransaction) throws -> MDB_dbi? = { txn in try UserKeyDatabase.open(env, in: txn) }
            userKeysDB = configuration.readOnly ? try env.read(keepHandles: true, keys) : try env.write(keys)
            merkleDB = try MerkleStore.open(env, logDB: log, build: configuration.maintainMerkleTree, maxMapSize: configuration.maxMapSize,
                                            progress: configuration.merkleBuildProgress)
        } catch let e as LMDBError {
            if configuration.readOnly && e.code == MDB_NOTFOUND {
                throw LogError(.dataDirectory("\(directory) holds no AuthLedger log yet; start a writer there first"))
            }
            throw LogError(.storage(e))
        } catch {
            throw LogError(.storage(LMDBError(code: -1, operation: "open the log: \(error)")))
        }
        if configuration.readOnly {
            writer = nil
            appendQueue = nil
        } else {
            let writer = LogWriter(env: env, logDB: logDB, usersDB: usersDB, globalDB: globalDB!, userKeysDB: userKeysDB!,
                                   merkleDB: merkleDB!, configuration: configuration, signal: signal)
            self.writer = writer
            appendQueue = GroupCommitQueue(label: "authledger.log.commit", maxBatch: configuration.maxBatchAppends) { groups in
                writer.commitEach(groups)
            }
        }
        signal.published(try head().position)
    }

    private static func prepareDirectory(_ directory: String, readOnly: Bool) throws(LogError) {
        var st = stat()
        if stat(directory, &st) != 0 {
            if readOnly {
                throw LogError(.dataDirectory("data directory \(directory) does not exist"))
            }
            // Owner-only: the directory will hold private signing keys too.
            if mkdir(directory, 0o700) != 0 && errno != EEXIST {
                throw LogError(.dataDirectory("cannot create data directory \(directory): \(String(cString: strerror(errno)))"))
            }
        } else if (st.st_mode & S_IFMT) != S_IFDIR {
            throw LogError(.dataDirectory("\(directory) exists but is not a directory"))
        }
    }

    /// Closes the log: waits for the transactions of this process to end, closes the LMDB
    /// environment and releases the writer lock, so the directory can be opened again at
    /// once (by this process or another). Later calls on this log throw
    /// ``LogError/Kind/closed``, and tails end with that error. Idempotent.
    public func close() {
        env.close()
        signal.close()
    }

    /// The newest committed record's position and chain hash.
    public func head() throws(LogError) -> LogHead {
        do {
            return try env.read { txn in try LogWriter.lastRecord(txn, logDB) }
        } catch let e as LogError { throw e } catch let e as RecordError { throw LogError(e) } catch let e as LMDBError {
            throw LogError(.storage(e))
        } catch { throw LogError(.storage(LMDBError(code: -1, operation: "read the head: \(error)"))) }
    }

    /// Appends `events` as one unit (consecutive positions, one transaction), group-committed
    /// with concurrent callers. Returns once the transaction is durable.
    @discardableResult
    public func append(_ events: [PendingEvent]) async throws(LogError) -> AppendReceipt {
        guard let appendQueue else { throw LogError(.readOnly) }
        do { for e in events { try e.validate() } } catch { throw LogError(error) }
        do {
            return try await appendQueue.submit(events)
        } catch let e as LogError { throw e } catch { throw LogError(.storage(LMDBError(code: -1, operation: "append: \(error)"))) }
    }

    /// Appends one event; see ``append(_:)-([PendingEvent])``.
    @discardableResult
    public func append(_ event: PendingEvent) async throws(LogError) -> AppendReceipt {
        try await append([event])
    }

    /// Appends several callers' event groups in **one** durable transaction, synchronously,
    /// for components that run their own batching loop (the engine). Either every group is
    /// committed or none is. Blocks on fsync: call it from a dedicated thread or queue.
    /// - Parameter keyChanges: changes to the `userkeys` database made in the same
    ///   transaction, after the events: a key stored with the first event encrypted under
    ///   it, or deleted with the event that erases it.
    public func commit(groups: [[PendingEvent]], keyChanges: [UserKeyChange] = []) throws(LogError) -> [AppendReceipt] {
        guard let writer else { throw LogError(.readOnly) }
        do { for g in groups { for e in g { try e.validate() } } } catch { throw LogError(error) }
        return try writer.commit(groups, keyChanges: keyChanges)
    }

    /// Write transactions this process has committed (events ÷ commits is the mean group size).
    public var commitCount: UInt64 { writer?.commits.load(ordering: .relaxed) ?? 0 }

    /// Size and shape of the log on disk.
    public func statistics() throws(LogError) -> LogStatistics {
        try translatingErrors {
            // The environment's figures are read inside the transaction, which a closed log
            // refuses, so they never touch a closed environment.
            try env.read { txn in
                let (records, indexEntries) = (try txn.count(logDB), try txn.count(usersDB))
                var st = stat()
                let fileSize = stat(directory + "/data.mdb", &st) == 0 ? Int(st.st_size) : 0
                var info = MDB_envinfo()
                mdb_env_info(env.env, &info)
                var est = MDB_stat()
                mdb_env_stat(env.env, &est)
                return LogStatistics(records: records, userIndexEntries: indexEntries, fileBytes: fileSize,
                                     usedBytes: (info.me_last_pgno + 1) * Int(est.ms_psize), mapBytes: info.me_mapsize)
            }
        }
    }
}

/// Size figures for `authledger stats` and benchmarks.
public struct LogStatistics: Sendable, Equatable {
    public var records: Int
    public var userIndexEntries: Int
    /// Size of `data.mdb` on disk.
    public var fileBytes: Int
    /// Bytes up to the highest page in use (the file can be larger after map growth).
    public var usedBytes: Int
    /// The current map size.
    public var mapBytes: Int
}

/// An advisory `flock` that makes one process the directory's only writer, so the
/// in-process group committer's view of the head can never be raced by another writer.
final class WriterLockFile: Sendable {
    // -1 once released.
    private let fd: Atomic<Int32>

    init(directory: String) throws(LogError) {
        let path = directory + "/writer.lock"
        // Never through a link: a writer run as root would otherwise truncate and write
        // whatever file a planted `writer.lock` link points at.
        let fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            if errno == ELOOP {
                throw LogError(.dataDirectory("\(path) is a symbolic link; AuthLedger never writes through links in the data directory: remove it (it is recreated as a plain file)"))
            }
            throw LogError(.dataDirectory("cannot open \(path): \(String(cString: strerror(errno)))"))
        }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw LogError(.dataDirectory("\(path) is not a regular file; remove it (it is recreated as a plain file)"))
        }
        // If this very process holds the lock, an earlier EventLog on this directory is still
        // being torn down (its last references are going away on another thread): wait for
        // it, briefly, rather than fail. Its environment is closed before its lock is released.
        var attempts = 0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, 32, 0)
            let holder = n > 0 ? String(decoding: buf[..<n], as: UTF8.self).trimmingSpaces : ""
            guard holder == String(getpid()), attempts < 200 else { break }
            attempts += 1
            usleep(10_000)
        }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buf = [UInt8](repeating: 0, count: 32)
            let n = pread(fd, &buf, 32, 0)
            close(fd)
            let holder = n > 0 ? "pid " + String(decoding: buf[..<n], as: UTF8.self).trimmingSpaces : "unknown pid"
            throw LogError(.locked(directory: directory, holder: holder))
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        self.fd = Atomic(fd)
    }

    /// Releases the lock (closing the descriptor drops the `flock`); idempotent.
    func release() {
        let fd = self.fd.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 { close(fd) }
    }

    deinit { release() }
}

extension String {
    var trimmingSpaces: String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
