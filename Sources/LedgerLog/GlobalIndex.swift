import LedgerCodec
import CLMDB

/// The `global` database: the position of every record without a user (key lifecycle
/// events and the like) with its event type, so that reading those few never needs a scan
/// of the whole log. Key 0 (never a position) marks the index complete from the first
/// record; a writer opening a log from before the index existed builds it in the same
/// transaction that creates it.
enum GlobalIndex {
    static let name = "global"
    private static let completeKey: UInt64 = 0

    /// Opens the index in `txn`. A write transaction creates and, if needed, builds it; a
    /// read transaction returns nil when there is no complete index to use.
    static func open(_ env: LMDBEnvironment, in txn: LMDBTransaction, logDB: MDB_dbi) throws -> MDB_dbi? {
        let opened: Result<MDB_dbi, LMDBError> = Result { () throws(LMDBError) in try env.openDatabase(name, flags: MDB_INTEGERKEY, in: txn) }
        if case let .failure(e) = opened, e.code == MDB_NOTFOUND, env.readOnly { return nil }
        let dbi = try opened.get()
        if try txn.get(dbi, integerKey: completeKey, { _ in true }) == true { return dbi }
        if env.readOnly { return nil }
        // Built from the log in this same transaction: either the complete index exists, or none.
        try txn.withCursor(logDB) { cursor in
            var entry = try cursor.move(MDB_FIRST)
            while let e = entry {
                guard let position = e.integerKey else { throw LogError(.corruptRecord(position: 0, "the log holds a key that is not a position")) }
                let view = try RecordView(position: position, bytes: e.value)
                if !view.hasUser { try add(position: position, type: view.type, in: txn, dbi) }
                entry = try cursor.move(MDB_NEXT)
            }
        }
        var key = completeKey, value: UInt8 = 1
        try withUnsafeBytes(of: &key) { k in try withUnsafeBytes(of: &value) { v in try txn.put(dbi, key: k, value: v, flags: 0) } }
        return dbi
    }

    static func add(position: UInt64, type: UInt8, in txn: LMDBTransaction, _ dbi: MDB_dbi) throws {
        var key = position, value = type
        try withUnsafeBytes(of: &key) { k in
            try withUnsafeBytes(of: &value) { v in try txn.put(dbi, key: k, value: v, flags: MDB_APPEND) }
        }
    }
}

extension EventLog {
    /// Deletes the global index, leaving the log as a version before the index wrote it.
    /// For tests of the upgrade path only.
    func dropGlobalIndexForTesting() throws {
        guard let globalDB else { return }
        try translatingErrors { try env.write { txn in try check(mdb_drop(txn.txn, globalDB, 1), "drop the global index") } }
    }
}
