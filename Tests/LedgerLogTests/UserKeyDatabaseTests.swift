import LedgerCodec
@testable import LedgerLog
import LedgerTesting
import Testing

@Suite("User-key database")
struct UserKeyDatabaseTests {
    @Test("a key is stored with the events of its transaction, never overwritten, and deleted with its erasure")
    func insertNewAndDelete() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        #expect(try log.userKey("alice") == nil)
        _ = try log.commit(groups: [[rotation("alice", generation: 1)]], keyChanges: [.insertNew(user: "alice", value: [1, 2, 3])])
        #expect(throws: LogError.self, "a second key for one user is refused, with its events") {
            try log.commit(groups: [[rotation("alice", generation: 2)]], keyChanges: [.insertNew(user: "alice", value: [9])])
        }
        #expect(try log.userKey("alice") == [1, 2, 3], "an existing key is never replaced")
        #expect(try log.head().position == 1)
        _ = try log.commit(groups: [[rotation("alice", generation: 2)]])
        _ = try log.commit(groups: [[rotation("alice", generation: 3)]], keyChanges: [.delete(user: "alice"), .delete(user: "nobody")])
        #expect(try log.userKey("alice") == nil)
        #expect(try log.head().position == 3)
    }

    @Test("a failed commit stores no key: the key and its first event are one transaction")
    func atomicWithEvents() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let tooBig = AuthEvent.userBanned(UserBanned(actor: "x", reason: String(repeating: "r", count: 70_000))).pending(user: "bob")
        #expect(throws: LogError.self) {
            try log.commit(groups: [[tooBig]], keyChanges: [.insertNew(user: "bob", value: [7])])
        }
        #expect(try log.userKey("bob") == nil)
    }

    @Test("replacing every key is one transaction; a transform that throws changes none")
    func replaceAll() throws {
        struct Refused: Error {}
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        _ = try log.commit(groups: [[rotation("a", generation: 1)]], keyChanges: [.insertNew(user: "a", value: [1]), .insertNew(user: "b", value: [2])])
        #expect(throws: Refused.self) { try log.replaceUserKeys { user, _ in if user == "b" { throw Refused() }; return [0] } }
        #expect(try log.userKeys().map(\.value) == [[1], [2]])
        #expect(try log.replaceUserKeys { _, v in v + [5] } == 2)
        #expect(try log.userKeys().map(\.user) == ["a", "b"])
        #expect(try log.userKeys().map(\.value) == [[1, 5], [2, 5]])
    }

    @Test("a read-only open reads the database a writer created (empty here)")
    func readOnlyOpen() async throws {
        let dir = TemporaryDirectory()
        do { _ = try openLog(dir) }
        var config = LogConfiguration()
        config.readOnly = true
        let reader = try EventLog(directory: dir.appending("data"), configuration: config)
        #expect(try reader.userKeys().isEmpty)
        #expect(try reader.userKey("a") == nil)
    }
}
