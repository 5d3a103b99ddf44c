import LedgerCodec
import CLMDB
import Glibc

/// One LMDB environment (a data directory holding `data.mdb` and `lock.mdb`).
///
/// Owns the `MDB_env` handle. Every transaction runs inside the ``ResizeGate`` so the
/// map can grow safely. `@unchecked Sendable`: LMDB environments are thread-safe when
/// opened with `MDB_NOTLS` (read transactions are not tied to a thread), the handle is
/// immutable after `init`, and map resizes are serialised by the gate.
final class LMDBEnvironment: @unchecked Sendable {
    let env: OpaquePointer
    let gate = ResizeGate()
    let readOnly: Bool
    let path: String
    private let writerLock: WriterLockFile?
    // Read and written only under the gate (shared to read, exclusive to close).
    private var closed = false

    struct Options {
        var mapSize: Int
        var maxDatabases: UInt32 = 8
        var maxReaders: UInt32 = 256
        var readOnly = false
        var noSync = false
        /// Held for as long as the environment is open, and released only after it closes.
        var writerLock: WriterLockFile?
    }

    init(path: String, options: Options) throws(LMDBError) {
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle), "create an environment")
        env = handle!
        self.readOnly = options.readOnly
        self.path = path
        self.writerLock = options.writerLock
        do {
            try check(mdb_env_set_maxdbs(env, options.maxDatabases), "set the number of databases")
            try check(mdb_env_set_maxreaders(env, options.maxReaders), "set the number of reader slots")
            if !options.readOnly {
                try check(mdb_env_set_mapsize(env, options.mapSize), "set the map size")
            }
            // MDB_NOTLS: Swift tasks hop between threads, so a read transaction must not
            // be bound to the thread that began it. MDB_NORDAHEAD: the log is read in
            // order but the user index is not; readahead wastes page cache on the latter.
            var flags = UInt32(MDB_NOTLS | MDB_NORDAHEAD)
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            if options.noSync { flags |= UInt32(MDB_NOSYNC) }
            try check(mdb_env_open(env, path, flags, 0o600), "open the environment at \(path)")
            // Slots left by processes that died mid-read would pin old pages forever.
            var dead: Int32 = 0
            try check(mdb_reader_check(env, &dead), "clear stale reader slots")
        } catch {
            mdb_env_close(env)
            throw error
        }
    }

    // Properties are released after this body: the writer lock outlives the environment.
    deinit { if !closed { mdb_env_close(env) } }

    /// Closes the environment once every transaction of this process has ended, then
    /// releases the writer lock; every later transaction throws ``LogError/Kind/closed``.
    func close() {
        gate.exclusive {
            guard !closed else { return }
            mdb_env_close(env)
            closed = true
        }
        writerLock?.release()
    }


    /// The current size of the memory map in bytes.
    var mapSize: Int {
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        return info.me_mapsize
    }

    /// Grows the map to `newSize` bytes, waiting until no transaction of this process is open.
    func resize(to newSize: Int) throws(LMDBError) {
        try gate.exclusive { () throws(LMDBError) in
            try check(mdb_env_set_mapsize(env, newSize), "grow the map to \(newSize) bytes")
        }
    }

    /// Adopts a map size another process has set (after `MDB_MAP_RESIZED`).
    func adoptForeignMapSize() throws(LMDBError) {
        try gate.exclusive { () throws(LMDBError) in
            try check(mdb_env_set_mapsize(env, 0), "adopt the map size set by another process")
        }
    }

    /// Flushes buffers to disk (used after no-sync batches when asked to).
    func sync(force: Bool) throws(LMDBError) {
        try check(mdb_env_sync(env, force ? 1 : 0), "flush the environment to disk")
    }

    /// Runs `body` in a read-only transaction, aborted afterwards. Never hold the
    /// transaction across a suspension point: `body` is synchronous by design.
    /// - Parameter keepHandles: commit instead of abort, which keeps database handles opened
    ///   inside `body` valid afterwards (LMDB discards them when a transaction aborts).
    func read<R>(keepHandles: Bool = false, _ body: (LMDBTransaction) throws -> R) throws -> R {
        while true {
            do {
                return try gate.shared { () throws -> R in
                    if closed { throw LogError(.closed) }
                    var txn: OpaquePointer?
                    try check(mdb_txn_begin(env, nil, UInt32(MDB_RDONLY), &txn), "begin a read transaction")
                    let result: R
                    do {
                        result = try body(LMDBTransaction(txn: txn!))
                    } catch {
                        mdb_txn_abort(txn)
                        throw error
                    }
                    if keepHandles {
                        try check(mdb_txn_commit(txn), "keep database handles")
                    } else {
                        mdb_txn_abort(txn)
                    }
                    return result
                }
            } catch let e as LMDBError where e.isMapResized {
                try adoptForeignMapSize()
            }
        }
    }

    /// Runs `body` in a write transaction and commits it. The commit is durable
    /// (fsync'd) unless the environment was opened with `noSync`.
    /// Throws `MDB_MAP_FULL` unchanged so the caller can grow the map and retry.
    func write<R>(_ body: (LMDBTransaction) throws -> R) throws -> R {
        try gate.shared { () throws -> R in
            if closed { throw LogError(.closed) }
            var txn: OpaquePointer?
            try check(mdb_txn_begin(env, nil, 0, &txn), "begin a write transaction")
            let result: R
            do {
                result = try body(LMDBTransaction(txn: txn!))
            } catch {
                mdb_txn_abort(txn)
                throw error
            }
            // mdb_txn_commit frees the transaction whether or not it succeeds.
            try check(mdb_txn_commit(txn), "commit a write transaction")
            return result
        }
    }

    /// Opens (or, in a write transaction, creates) a named database.
    func openDatabase(_ name: String, flags: Int32, in txn: LMDBTransaction) throws(LMDBError) -> MDB_dbi {
        var dbi: MDB_dbi = 0
        let create = readOnly ? 0 : MDB_CREATE
        try check(mdb_dbi_open(txn.txn, name, UInt32(flags | create), &dbi), "open the \(name) database")
        return dbi
    }
}
