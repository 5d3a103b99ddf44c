import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerLog
import LedgerTesting
import Testing

@Suite("Resource exhaustion")
struct ResourceExhaustionTests {
    @Test("the map grows many times under concurrent logins and refreshes; after a reopen every answered command is there and the digest matches a rebuild")
    func mapGrowsUnderLoad() async throws {
        let f = EngineFixture { c in
            c.log.initialMapSize = 64 << 10
            c.snapshotAtShutdown = false
        }
        let answered: [(user: String, session: SessionID, token: String)]
        let digest: SHA256Digest
        let initial: Int
        do {
            let engine = try await f.open()
            initial = try engine.log.statistics().mapBytes
            answered = try await withThrowingTaskGroup(of: [(String, SessionID, String)].self) { group in
                for w in 0..<8 {
                    group.addTask {
                        var mine: [(String, SessionID, String)] = []
                        for i in 0..<80 {
                            let user = "grow-\(w)-\(i % 10)"
                            let (tokens, session) = try await engine.login(LoginRequest(
                                user: user, device: Device(label: "device \(i)", userAgent: String(repeating: "u", count: 300))))
                            let next = try await engine.refresh(tokens.refreshToken)
                            mine.append((user, session.id, next.refreshToken))
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(try engine.log.statistics().mapBytes >= initial * 8, "the map grew at least three times")
            digest = engine.projectionDigest
            try await engine.shutdown()
        }
        let engine = try await f.open()
        #expect(engine.projectionDigest == digest)
        var rebuilt = SessionProjection()
        try rebuilt.advance(in: engine.log)
        #expect(rebuilt.digest == digest)
        #expect(try engine.log.verifyChain().firstBreak == nil)
        for (user, session, token) in answered {
            #expect(engine.activeSessions(user: user).contains { $0.id == session })
            _ = try await engine.refresh(token)
        }
        #expect(answered.count == 640)
        try await engine.shutdown()
    }
}
