import LedgerCodec
import LedgerCrypto
import LedgerLog
import Synchronization

/// Users' data keys: wrapped under the master key in the log's `userkeys` database,
/// unwrapped on first use and then cached in memory (never written anywhere in clear).
///
/// A wrapped key is `format (1) ‖ master id (u32 LE) ‖ AES-256-GCM box` (nonce 12, wrapped
/// key 32, tag 16: 65 bytes). The box's associated data binds it to its user and master
/// id, so a wrapped key moved to another user, or relabelled, does not unwrap. A tag is
/// wanted here: unlike the events, these bytes are outside the hash chain.
final class UserKeyVault: Sendable {
    let master: MasterKey
    private let log: EventLog
    private let cache = Mutex<[ExactString: UserDataKey]>([:])

    static let format: UInt8 = 1

    init(master: MasterKey, log: EventLog) {
        self.master = master
        self.log = log
    }

    /// Opens the vault of the data directory. The master key must be the one the stored
    /// keys are wrapped under: a missing or wrong master key stops here, naming the file,
    /// rather than letting new keys be written under another master beside keys that can
    /// no longer be read. With no wrapped key at all, a writer creates master 1.
    /// An interrupted rotation is finished: a master no stored key uses is deleted.
    static func open(dataDirectory: String, log: EventLog, create: Bool) throws(EngineError) -> UserKeyVault {
        let stored: [(user: String, value: [UInt8])]
        do { stored = try log.userKeys() } catch { throw EngineError(.storage, "cannot read the user keys: \(error)") }
        let ids = MasterKey.ids(in: dataDirectory)
        var used = Set<UInt32>()
        for (user, value) in stored {
            guard let (_, id, _) = parse(value) else {
                throw EngineError(.storage, "the wrapped key of user \"\(user)\" is malformed (\(value.count) bytes); restore the data directory from a backup")
            }
            used.insert(id)
        }
        guard used.count <= 1 else {
            throw EngineError(.storage, "the user keys are wrapped under several master keys (\(used.sorted().map { "master-\($0).key" }.joined(separator: ", "))); a rotation was interrupted in a way that cannot happen: restore from a backup")
        }
        let master: MasterKey
        if let id = used.first {
            guard ids.contains(id) else {
                throw EngineError(.keyFile(path: MasterKey.path(dataDirectory, id: id)),
                                  "the master key \(MasterKey.path(dataDirectory, id: id)) is missing, and \(stored.count) user keys are wrapped under it; restore it from your key backup (a new master key is never created in its place: those users' data would become unreadable)")
            }
            master = try MasterKey.read(dataDirectory, id: id)
        } else if let newest = ids.last {
            master = try MasterKey.read(dataDirectory, id: newest)
        } else if create {
            master = try MasterKey.create(dataDirectory, id: 1)
        } else {
            throw EngineError(.keyFile(path: MasterKey.path(dataDirectory, id: 1)), "there is no master key in \(MasterKey.directory(dataDirectory)); the engine creates one when it starts")
        }
        let vault = UserKeyVault(master: master, log: log)
        // One unwrap proves the master file is the right one (a file with the right name
        // but other bytes would otherwise only show on first use, after new keys were added).
        if let (user, value) = stored.first { _ = try vault.unwrap(value, user: user) }
        if create {
            for id in ids where id != master.id { SecretFiles.remove(MasterKey.path(dataDirectory, id: id)) }
        }
        return vault
    }

    private static func parse(_ value: [UInt8]) -> (format: UInt8, master: UInt32, box: [UInt8])? {
        guard value.count == 5 + UserDataKey.byteCount + AES256GCM.overhead, value[0] == format else { return nil }
        let id = (1...4).reduce(UInt32(0)) { $0 | UInt32(value[$1]) << (8 * UInt32($1 - 1)) }
        return (value[0], id, Array(value[5...]))
    }

    private static func associatedData(user: String, master: UInt32) -> [UInt8] {
        Array("authledger-userkey-v1".utf8) + [0] + Array(user.utf8) + [0] + (0..<4).map { UInt8(truncatingIfNeeded: master >> ($0 * 8)) }
    }

    func wrap(_ key: UserDataKey, user: String) -> [UInt8] {
        wrap(key, user: user, under: master)
    }

    private func wrap(_ key: UserDataKey, user: String, under master: MasterKey) -> [UInt8] {
        // Cannot fail with a valid key; a failure would be a broken libcrypto.
        let box = try! master.aead.seal(key.material, associatedData: Self.associatedData(user: user, master: master.id))
        return [Self.format] + (0..<4).map { UInt8(truncatingIfNeeded: master.id >> ($0 * 8)) } + box
    }

    func unwrap(_ value: [UInt8], user: String) throws(EngineError) -> UserDataKey {
        try unwrap(value, user: user, with: master)
    }

    private func unwrap(_ value: [UInt8], user: String, with master: MasterKey) throws(EngineError) -> UserDataKey {
        guard let (_, id, box) = Self.parse(value) else {
            throw EngineError(.storage, "the wrapped key of user \"\(user)\" is malformed (\(value.count) bytes)")
        }
        guard id == master.id else {
            throw EngineError(.keyFile(path: master.path), "the key of user \"\(user)\" is wrapped under master key \(id), but \(master.path) is master \(master.id)")
        }
        do {
            return try UserDataKey(material: master.aead.open(box, associatedData: Self.associatedData(user: user, master: id)))
        } catch {
            throw EngineError(.keyFile(path: master.path), "\(master.path) does not unwrap the key of user \"\(user)\" (\(error)); it is not the master key these user keys were wrapped under: restore the right file from your key backup")
        }
    }

    /// The user's key if the user has one (cached, or unwrapped from the database); nil for
    /// a user who never had one or was forgotten.
    func key(for user: String) throws(EngineError) -> UserDataKey? {
        if let k = cache.withLock({ $0[ExactString(user)] }) { return k }
        let stored: [UInt8]?
        do { stored = try log.userKey(user) } catch { throw EngineError(.storage, "cannot read the key of user \"\(user)\": \(error)") }
        guard let stored else { return nil }
        let key = try unwrap(stored, user: user)
        cache.withLock { $0[ExactString(user)] = key }
        return key
    }

    /// Remembers a key the writer has just committed (its first event is durable).
    func remember(_ key: UserDataKey, for user: String) { cache.withLock { $0[ExactString(user)] = key } }

    /// Drops a key from memory once its deletion is durable.
    func forget(user: String) { cache.withLock { $0[ExactString(user)] = nil } }

    /// Writes master n+1, rewraps every user key under it in one transaction, then deletes
    /// master n. Run with the log open for writing and no engine running on it (the
    /// command-line tool's `keys rotate-master`). A crash between the steps leaves either
    /// master n in use (and n+1 unused, deleted at the next open) or n+1 in use (and n
    /// unused, deleted likewise). Returns the new master id and how many keys were rewrapped.
    static func rotateMaster(dataDirectory: String, log: EventLog) throws(EngineError) -> (master: UInt32, rewrapped: Int) {
        let current = try open(dataDirectory: dataDirectory, log: log, create: true)
        let next = try MasterKey.create(dataDirectory, id: current.master.id + 1)
        let count: Int
        do {
            count = try log.replaceUserKeys { user, value in
                let key = try current.unwrap(value, user: user)
                return current.wrap(key, user: user, under: next)
            }
        } catch let e as EngineError {
            SecretFiles.remove(next.path)
            throw e
        } catch {
            SecretFiles.remove(next.path)
            throw EngineError(.storage, "the user keys could not be rewrapped: \(error); nothing changed")
        }
        SecretFiles.remove(current.master.path)
        return (next.id, count)
    }
}
