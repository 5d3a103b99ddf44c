import CLMDB
import LedgerCodec

/// A change to the `userkeys` database, made in the same write transaction as a batch of
/// events (``EventLog/commit(groups:keyChanges:)``), so a user's key exists exactly when
/// the first event encrypted under it does, and is gone exactly when the event that
/// erased it is there.
public enum UserKeyChange: Sendable, Equatable {
    /// Stores `value` for a user who has none. A user who already has one fails the whole
    /// transaction: events sealed under a key that is then not kept could never be read.
    case insertNew(user: String, value: [UInt8])
    /// Removes the user's value, if any.
    case delete(user: String)
}

/// The `userkeys` database: one opaque value per user id (the engine stores the user's
/// data key there, wrapped under the master key). It lies beside the log and outside the
/// chain: its entries are the only bytes of the environment that are ever deleted.
enum UserKeyDatabase {
    static let name = "userkeys"

    /// Opens the database in `txn`: a write transaction creates it; a read transaction
    /// returns nil when no writer has created it yet (no user has a key).
    static func open(_ env: LMDBEnvironment, in txn: LMDBTransaction) throws -> MDB_dbi? {
        let opened: Result<MDB_dbi, LMDBError> = Result { () throws(LMDBError) in try env.openDatabase(name, flags: 0, in: txn) }
        if case let .failure(e) = opened, e.code == MDB_NOTFOUND, env.readOnly { return nil }
        return try opened.get()
    }

    static func apply(_ changes: [UserKeyChange], in txn: LMDBTransaction, _ dbi: MDB_dbi) throws {
        for change in changes {
            switch change {
            case let .insertNew(user, value):
                let key = Array(user.utf8)
                do {
                    try key.withUnsafeBytes { k in
                        try value.withUnsafeBytes { v in try txn.put(dbi, key: k, value: v, flags: MDB_NOOVERWRITE) }
                    }
                } catch let e as LMDBError where e.code == MDB_KEYEXIST {
                    throw LogError(.invalidEvent("user \(TextEscaping.quoted(user)) already has a data key; a second one would leave events sealed under a key nobody keeps"))
                }
            case let .delete(user):
                try Array(user.utf8).withUnsafeBytes { k in try txn.delete(dbi, key: k) }
            }
        }
    }
}

extension EventLog {
    /// The value stored for `user` in the `userkeys` database, if any.
    public func userKey(_ user: String) throws(LogError) -> [UInt8]? {
        guard let dbi = userKeysDB else { return nil }
        do {
            let key = Array(user.utf8)
            return try env.read { txn -> [UInt8]? in
                try key.withUnsafeBytes { k in try txn.get(dbi, key: k) { Array($0) } }
            }
        } catch { throw LogError.wrapping(error, "read a user key") }
    }

    /// Every (user, value) pair of the `userkeys` database, in key order.
    public func userKeys() throws(LogError) -> [(user: String, value: [UInt8])] {
        guard let dbi = userKeysDB else { return [] }
        do {
            return try env.read { txn in try Self.allUserKeys(txn, dbi) }
        } catch { throw LogError.wrapping(error, "read the user keys") }
    }

    /// Replaces every value of the `userkeys` database in one durable write transaction:
    /// `transform` gets each (user, value) and returns the new value. Either every value is
    /// replaced or, if `transform` throws, none is. Returns how many were replaced.
    @discardableResult
    public func replaceUserKeys(_ transform: (String, [UInt8]) throws -> [UInt8]) throws -> Int {
        guard configuration.readOnly == false, let dbi = userKeysDB else { throw LogError(.readOnly) }
        return try env.write { txn in
            let all = try Self.allUserKeys(txn, dbi)
            for (user, value) in all {
                let replacement = try transform(user, value)
                try Array(user.utf8).withUnsafeBytes { k in
                    try replacement.withUnsafeBytes { v in try txn.put(dbi, key: k, value: v, flags: 0) }
                }
            }
            return all.count
        }
    }

    private static func allUserKeys(_ txn: LMDBTransaction, _ dbi: MDB_dbi) throws -> [(user: String, value: [UInt8])] {
        var out: [(user: String, value: [UInt8])] = []
        try txn.withCursor(dbi) { cursor in
            var entry = try cursor.move(MDB_FIRST)
            while let e = entry {
                out.append((String(decoding: e.key, as: UTF8.self), Array(e.value)))
                entry = try cursor.move(MDB_NEXT)
            }
        }
        return out
    }
}

extension LogError {
    static func wrapping(_ error: any Error, _ what: String) -> LogError {
        switch error {
        case let e as LogError: e
        case let e as LMDBError: LogError(.storage(e))
        default: LogError(.storage(LMDBError(code: -1, operation: "\(what): \(error)")))
        }
    }
}
