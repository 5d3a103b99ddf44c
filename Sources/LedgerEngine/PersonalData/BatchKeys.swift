import LedgerCodec
import LedgerCrypto
import LedgerLog

/// Users' data keys as one batch of commands sees them: the stored ones (through the
/// vault's cache), plus keys created for users who had none, queued as changes to commit
/// in the batch's own transaction, so that a key exists exactly when the first event
/// sealed under it does. Deletions are queued likewise.
struct BatchKeys {
    /// Nil when sealing is off (``EngineConfiguration/sealPersonalData``, a benchmark baseline).
    let vault: UserKeyVault?
    private var fresh: [ExactString: UserDataKey] = [:]
    private var deleted: Set<ExactString> = []
    /// The changes to commit with the batch, in order; then ``settle()`` after the commit.
    private(set) var changes: [UserKeyChange] = []
    private var settled: [(user: String, key: UserDataKey?)] = []

    init(vault: UserKeyVault?) { self.vault = vault }

    /// The key to seal `user`'s fields under, created and queued if the user has none;
    /// nil when sealing is off.
    mutating func sealing(for user: String) throws(EngineError) -> UserDataKey? {
        guard let vault else { return nil }
        let name = ExactString(user)
        if let k = fresh[name] { return k }
        if !deleted.contains(name), let k = try vault.key(for: user) { return k }
        let k = UserDataKey.generate()
        fresh[name] = k
        deleted.remove(name)
        changes.append(.insertNew(user: user, value: vault.wrap(k, user: user)))
        settled.append((user, k))
        return k
    }

    /// Queues the deletion of the user's key.
    mutating func delete(_ user: String) {
        guard vault != nil else { return }
        fresh[ExactString(user)] = nil
        deleted.insert(ExactString(user))
        changes.append(.delete(user: user))
        settled.append((user, nil))
    }

    /// After a durable commit: the vault's cache follows the committed changes, in order.
    func settle() {
        for (user, key) in settled {
            if let key { vault?.remember(key, for: user) } else { vault?.forget(user: user) }
        }
    }
}
