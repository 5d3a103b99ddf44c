import LedgerLog

/// What ``rotateMasterKey(dataDirectory:)`` did.
public struct MasterKeyRotation: Sendable, Equatable {
    /// The id of the new master key, `keys/master-<id>.key`.
    public let master: UInt32
    /// How many user keys were rewrapped under it.
    public let rewrappedUserKeys: Int
}

/// Writes master key n+1, rewraps every user's data key under it in one transaction, and
/// deletes master key n, so that a user key erased before now cannot be recovered from an
/// old copy of the database with the current master key. Takes the directory's writer
/// lock: it refuses to run while an engine writes there.
public func rotateMasterKey(dataDirectory: String) throws -> MasterKeyRotation {
    let log = try EventLog(directory: dataDirectory)
    defer { log.close() }
    let (master, count) = try UserKeyVault.rotateMaster(dataDirectory: dataDirectory, log: log)
    return MasterKeyRotation(master: master, rewrappedUserKeys: count)
}
