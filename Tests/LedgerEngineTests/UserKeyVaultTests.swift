import Glibc
import LedgerCodec
@testable import LedgerEngine
import LedgerLog
import LedgerTesting
import Testing

@Suite("User keys and the master key")
struct UserKeyVaultTests {
    private func openLog(_ dir: String) throws -> EventLog {
        try EventLog(directory: dir, configuration: .unsafeFast(clock: SystemClock()))
    }

    /// A data directory whose vault holds a key for alice (and so a master key), closed.
    private func storeAlice(_ dir: String) throws {
        let log = try openLog(dir)
        defer { log.close() }
        _ = try addUser("alice", try UserKeyVault.open(dataDirectory: dir, log: log, create: true), log)
    }

    /// Commits one event for `user` together with a new key, as the writer does.
    private func addUser(_ user: String, _ vault: UserKeyVault, _ log: EventLog) throws -> UserDataKey {
        let key = UserDataKey.generate()
        let event = AuthEvent.userUnbanned(UserUnbanned(actor: "test")).pending(user: user)
        _ = try log.commit(groups: [[event]], keyChanges: [.insertNew(user: user, value: vault.wrap(key, user: user))])
        return key
    }

    @Test("a user key round-trips through the database and a reopen, and only its own user unwraps it")
    func roundTrip() throws {
        let tmp = TemporaryDirectory()
        let dir = tmp.appending("data")
        let material: [UInt8]
        do {
            let log = try openLog(dir)
            let vault = try UserKeyVault.open(dataDirectory: dir, log: log, create: true)
            #expect(vault.master.id == 1)
            material = try addUser("alice", vault, log).material
            let swapped = try #require(try log.userKey("alice"))
            #expect(throws: EngineError.self) { try vault.unwrap(swapped, user: "bob") }
            log.close()
        }
        let log = try openLog(dir)
        let vault = try UserKeyVault.open(dataDirectory: dir, log: log, create: true)
        #expect(try vault.key(for: "alice")?.material == material)
        #expect(try vault.key(for: "bob") == nil)
    }

    @Test("a missing master key with wrapped user keys stops the engine, naming the file, and writes no new master")
    func missingMaster() throws {
        let tmp = TemporaryDirectory()
        let dir = tmp.appending("data")
        try storeAlice(dir)
        unlink(dir + "/keys/master-1.key")
        let log = try openLog(dir)
        let error = try #require(throws: EngineError.self) { try UserKeyVault.open(dataDirectory: dir, log: log, create: true) }
        #expect(error.kind == .keyFile(path: dir + "/keys/master-1.key"))
        #expect(error.message.contains("missing"))
        #expect(MasterKey.ids(in: dir).isEmpty, "no master key is created in place of the lost one")
    }

    @Test("a wrong master key (same name, other bytes) stops the engine, naming the file")
    func wrongMaster() throws {
        let tmp = TemporaryDirectory()
        let dir = tmp.appending("data")
        try storeAlice(dir)
        let path = dir + "/keys/master-1.key"
        unlink(path)
        try SecretFiles.write(Array(repeating: 7, count: 32), to: path)
        let log = try openLog(dir)
        let error = try #require(throws: EngineError.self) { try UserKeyVault.open(dataDirectory: dir, log: log, create: true) }
        #expect(error.kind == .keyFile(path: path))
        #expect(error.message.contains("does not unwrap"))
    }

    @Test("rotating the master rewraps every key, deletes the old master, and an erased key's old copy no longer unwraps")
    func rotation() throws {
        let tmp = TemporaryDirectory()
        let dir = tmp.appending("data")
        let log = try openLog(dir)
        let vault = try UserKeyVault.open(dataDirectory: dir, log: log, create: true)
        let alice = try addUser("alice", vault, log)
        _ = try addUser("bob", vault, log)
        // A copy of bob's wrapped key taken before his erasure (a backup, a freed page).
        let bobsOldCopy = try #require(try log.userKey("bob"))
        _ = try log.commit(groups: [[AuthEvent.userUnbanned(UserUnbanned(actor: "t")).pending(user: "bob")]], keyChanges: [.delete(user: "bob")])

        let rotated = try UserKeyVault.rotateMaster(dataDirectory: dir, log: log)
        #expect(rotated.master == 2)
        #expect(rotated.rewrapped == 1)
        #expect(MasterKey.ids(in: dir) == [2])

        let reopened = try UserKeyVault.open(dataDirectory: dir, log: log, create: true)
        #expect(reopened.master.id == 2)
        #expect(try reopened.key(for: "alice")?.material == alice.material)
        #expect(throws: EngineError.self) { try reopened.unwrap(bobsOldCopy, user: "bob") }
    }

    @Test("an interrupted rotation is finished at the next open: the master no key uses is deleted")
    func interruptedRotation() throws {
        let tmp = TemporaryDirectory()
        let dir = tmp.appending("data")
        let log = try openLog(dir)
        _ = try addUser("alice", try UserKeyVault.open(dataDirectory: dir, log: log, create: true), log)
        _ = try MasterKey.create(dir, id: 2)  // written, but the rewrap never committed
        let vault = try UserKeyVault.open(dataDirectory: dir, log: log, create: true)
        #expect(vault.master.id == 1)
        #expect(MasterKey.ids(in: dir) == [1])
        #expect(try vault.key(for: "alice") != nil)
    }

    @Test("IVs differ for every context and event type; fingerprints are keyed")
    func ivsAndFingerprints() {
        let key = UserDataKey.generate(), other = UserDataKey.generate()
        let s = SessionID(high: 1, low: 2)
        let ivs = [key.iv(type: .sessionStarted, context: IVContext.login(s)),
                   key.iv(type: .refreshRotated, context: IVContext.rotation(s, generation: 2)),
                   key.iv(type: .refreshRotated, context: IVContext.rotation(s, generation: 3)),
                   key.iv(type: .refreshReuseDetected, context: IVContext.reuse(s, presented: 1, current: 3)),
                   other.iv(type: .sessionStarted, context: IVContext.login(s))]
        #expect(Set(ivs).count == ivs.count)
        #expect(ivs.allSatisfy { $0.count == 16 })
        let sealed = key.apply(type: .refreshRotated, context: IVContext.rotation(s, generation: 2), to: [198, 51, 100, 7])
        #expect(sealed != [198, 51, 100, 7])
        #expect(key.apply(type: .refreshRotated, context: IVContext.rotation(s, generation: 2), to: sealed) == [198, 51, 100, 7])
        #expect(key.fingerprint(label: "iPhone", userAgent: "ua") == key.fingerprint(label: "iPhone", userAgent: "ua"))
        #expect(key.fingerprint(label: "iPhone", userAgent: "ua") != other.fingerprint(label: "iPhone", userAgent: "ua"))
        #expect(key.fingerprint(label: "iPhone", userAgent: "ua") != key.fingerprint(label: "iPhoneu", userAgent: "a"))
    }
}
