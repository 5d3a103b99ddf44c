import LedgerCodec
import LedgerLog
import LedgerTesting
import Testing

@Suite("Per-user index")
struct UserIndexTests {
    @Test("each user's history through the index equals a filtered full scan")
    func indexEqualsScan() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let users = (0..<37).map { "user-\($0)" } + ["ü-ñïçødé", String(repeating: "x", count: 255)]
        try await withThrowingTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    var local = SystemRandomNumberGenerator()
                    for i in 0..<1_500 {
                        let user = users.randomElement(using: &local)!
                        if i % 50 == 0 {
                            // Global events carry no user and appear in nobody's history.
                            try await log.append(AuthEvent.signingKeyActivated(SigningKeyChanged(kid: "k\(w)-\(i)")).pending(user: nil))
                        } else {
                            try await log.append(rotation(user, generation: UInt32(i)))
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let all = try allRecords(log)
        for user in users {
            let expected = all.filter { $0.user == user }
            #expect(try log.events(ofUser: user) == expected)
            // Resuming part-way through a history.
            if expected.count > 3 {
                let mid = expected[expected.count / 2].position
                #expect(try log.events(ofUser: user, from: mid) == expected.filter { $0.position >= mid })
            }
        }
        #expect(try log.events(ofUser: "nobody").isEmpty)
        let stats = try log.statistics()
        #expect(stats.userIndexEntries == all.filter { $0.user != nil }.count)
    }

    @Test("a user's history reads in small batches without skipping")
    func batchedUserScan() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...25 {
            try await log.append([rotation("a", generation: UInt32(g)), rotation("b", generation: UInt32(g))])
        }
        var seen: [UInt64] = []
        try log.scan(user: "b", batchSize: 3) { seen.append($0.position); return true }
        #expect(seen == stride(from: UInt64(2), through: 50, by: 2).map { $0 })
    }
}
