import CMemory
import LedgerCodec

/// Users' records, indexed by their interned name (see ``StringTable``): a session holds its
/// user's number, so ending one (most of the events that touch users) finds the user
/// without hashing the name.
struct UserTable: Sendable {
    /// Indexed by name number; an empty record is a user the projection does not hold.
    private(set) var records: [UserRecord] = []
    /// The users with a non-empty record.
    private(set) var count = 0

    init() {}

    subscript(_ id: UInt32) -> UserRecord? {
        let i = Int(id)
        return i < records.count && !records[i].isEmpty ? records[i] : nil
    }

    /// Starts loading a user's record (see ``Projection/prefetchUser(_:)``).
    @inline(__always)
    func prefetch(_ id: UInt32) {
        records.withUnsafeBufferPointer { r in
            if Int(id) < r.count { authledger_prefetch(r.baseAddress! + Int(id)) }
        }
    }

    /// Changes a user's record in place, creating it if needed; an emptied record no
    /// longer counts as a user.
    mutating func modify(_ id: UInt32, _ body: (inout UserRecord) -> Void) {
        let i = Int(id)
        if i >= records.count { records.append(contentsOf: repeatElement(UserRecord(), count: i + 1 - records.count)) }
        let wasEmpty = records[i].isEmpty
        body(&records[i])
        let isEmpty = records[i].isEmpty
        if wasEmpty != isEmpty { count += isEmpty ? -1 : 1 }
    }

    /// The users held, by name number.
    var nonEmpty: some Sequence<(id: UInt32, record: UserRecord)> {
        records.indices.lazy.filter { !records[$0].isEmpty }.map { (UInt32($0), records[$0]) }
    }
}

extension UserRecord {
    /// Records a new session, and the device it came from if the user has not used it before.
    mutating func add(session id: SessionID, device fingerprint: UInt64) {
        sessions.append(id)
        if !devices.contains(fingerprint) { devices.append(fingerprint) }
    }

    /// Forgets a session that ended, was revoked or expired.
    mutating func remove(session id: SessionID) {
        if let i = sessions.firstIndex(of: id) { sessions.remove(at: i) }
    }
}
