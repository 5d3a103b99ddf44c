import LedgerCodec
import CLMDB

/// An error from LMDB, naming the operation that failed and what to do about it.
public struct LMDBError: Error, Sendable, Equatable, CustomStringConvertible {
    /// LMDB's (or the OS's) return code, kept for diagnostics and tests.
    public let code: Int32
    /// What AuthLedger was doing, e.g. "open environment at /var/lib/authledger".
    public let operation: String

    public var description: String {
        let reason = String(cString: mdb_strerror(code))
        return "LMDB failed to \(operation): \(reason) (code \(code)).\(advice)"
    }

    var isMapFull: Bool { code == MDB_MAP_FULL }
    var isMapResized: Bool { code == MDB_MAP_RESIZED }
    var isNotFound: Bool { code == MDB_NOTFOUND }

    private var advice: String {
        switch code {
        case MDB_MAP_FULL: return " The map could not grow further; raise LogConfiguration.maxMapSize."
        case MDB_READERS_FULL: return " Too many concurrent readers; raise LogConfiguration.maxReaders."
        case MDB_INVALID, MDB_VERSION_MISMATCH: return " The data directory does not hold a compatible LMDB environment."
        case MDB_CORRUPTED, MDB_PAGE_NOTFOUND: return " The environment is damaged; restore it from a backup."
        case 13 /* EACCES */: return " Check the data directory's permissions."
        case 2 /* ENOENT */: return " The data directory does not exist (create it, or open read-write first)."
        case 11 /* EAGAIN */: return " Another process holds the environment's lock."
        default: return ""
        }
    }
}

@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc, operation: operation()) }
}
