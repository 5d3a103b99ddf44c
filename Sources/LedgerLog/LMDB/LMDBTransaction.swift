import LedgerCodec
import CLMDB

/// A transaction handle valid only inside the closure given to
/// ``LMDBEnvironment/read(_:)`` or ``LMDBEnvironment/write(_:)``.
struct LMDBTransaction {
    let txn: OpaquePointer

    /// Looks up `key` (a native-endian UInt64) and passes the value's bytes to `body`;
    /// returns nil if the key is absent. The bytes are valid only inside `body`.
    func get<R>(_ dbi: MDB_dbi, integerKey: UInt64, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var k = integerKey
        return try withUnsafeMutableBytes(of: &k) { kb -> R? in
            var key = MDB_val(mv_size: 8, mv_data: kb.baseAddress)
            var val = MDB_val()
            let rc = mdb_get(txn, dbi, &key, &val)
            if rc == MDB_NOTFOUND { return nil }
            try check(rc, "read key \(integerKey)")
            return try body(UnsafeRawBufferPointer(start: val.mv_data, count: val.mv_size))
        }
    }

    /// Looks up a byte-string `key`; nil if absent. The bytes are valid only inside `body`.
    func get<R>(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var val = MDB_val()
        let rc = mdb_get(txn, dbi, &k, &val)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "read a key")
        return try body(UnsafeRawBufferPointer(start: val.mv_data, count: val.mv_size))
    }

    /// Deletes `key` (every value, in a sorted-duplicates database); nothing if absent.
    func delete(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(txn, dbi, &k, nil)
        if rc == MDB_NOTFOUND { return }
        try check(rc, "delete a key")
    }

    /// Writes `value` under `key` with `flags` (e.g. `MDB_APPEND`).
    func put(_ dbi: MDB_dbi, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, flags: Int32) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_put(txn, dbi, &k, &v, UInt32(flags)), "write a record")
    }

    /// A cursor over `dbi`, closed when `body` returns.
    func withCursor<R>(_ dbi: MDB_dbi, _ body: (LMDBCursor) throws -> R) throws -> R {
        var cursor: OpaquePointer?
        try check(mdb_cursor_open(txn, dbi, &cursor), "open a cursor")
        defer { mdb_cursor_close(cursor) }
        return try body(LMDBCursor(cursor: cursor!))
    }

    /// Number of entries in `dbi`.
    func count(_ dbi: MDB_dbi) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi, &stat), "read database statistics")
        return stat.ms_entries
    }

    /// Bytes of the pages `dbi` occupies (branch, leaf and overflow pages).
    func pageBytes(_ dbi: MDB_dbi) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try check(mdb_stat(txn, dbi, &stat), "read database statistics")
        return (stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages) * Int(stat.ms_psize)
    }
}

/// A positioned LMDB cursor; valid only inside ``LMDBTransaction/withCursor(_:_:)``.
struct LMDBCursor {
    let cursor: OpaquePointer

    /// One key/value pair; both buffers point into the map and die with the transaction.
    struct Entry {
        let key: UnsafeRawBufferPointer
        let value: UnsafeRawBufferPointer
        /// The 8-byte integer key, or nil if the key is not 8 bytes (a damaged database).
        var integerKey: UInt64? { key.count == 8 ? key.loadUnaligned(as: UInt64.self) : nil }
    }

    /// Moves the cursor with `op` (optionally seeding key/value) and returns the entry, or nil at the end.
    @inline(__always)
    func move(_ op: MDB_cursor_op, key seedKey: UnsafeRawBufferPointer? = nil, value seedValue: UnsafeRawBufferPointer? = nil) throws(LMDBError) -> Entry? {
        var k = MDB_val(mv_size: seedKey?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: seedKey?.baseAddress))
        var v = MDB_val(mv_size: seedValue?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: seedValue?.baseAddress))
        let rc = mdb_cursor_get(cursor, &k, &v, op)
        if rc == MDB_NOTFOUND { return nil }
        try check(rc, "move a cursor")
        return Entry(key: UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size),
                     value: UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// Positions at the first integer key ≥ `key`.
    func seek(integerKey key: UInt64) throws(LMDBError) -> Entry? {
        var k = key
        return try withUnsafeBytes(of: &k) { kb throws(LMDBError) in try move(MDB_SET_RANGE, key: kb) }
    }

    /// Overwrites the value at the cursor (used only by tamper tests and repair tools).
    func replaceCurrent(key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try check(mdb_cursor_put(cursor, &k, &v, UInt32(MDB_CURRENT)), "overwrite a record")
    }
}
