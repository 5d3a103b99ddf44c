import Foundation
@testable import LedgerEdge
import LedgerTokens
import Synchronization
import Testing

/// The key cache with a fetch that counts and can be told what to answer: no server.
@Suite("Key set cache")
struct KeySetCacheTests {
    final class FakeServer: Sendable {
        let keys: Mutex<JWKS?>
        let calls = Mutex(0)
        init(_ keys: JWKS?) { self.keys = Mutex(keys) }
        func fetch() throws -> KeySetCache.Fetched {
            calls.withLock { $0 += 1 }
            guard let keys = keys.withLock({ $0 }) else { throw EdgeError(.server, "down", remedy: "") }
            return KeySetCache.Fetched(keys: keys, lifetime: .seconds(60))
        }
    }

    let policy = VerificationPolicy(issuer: "authledger", audience: "api")
    let now = Int64(Date().timeIntervalSince1970)

    func token(_ key: SigningKey) throws -> String {
        try AccessTokenIssuer(key: key, issuer: "authledger", audience: ["api"]).issue(subject: "alice", sessionID: String(repeating: "ab", count: 16), now: now).token
    }

    /// Intervals far longer than any test, so that a slow machine cannot open them early.
    func cache(_ server: FakeServer) -> KeySetCache {
        KeySetCache(policy: policy, refetchInterval: .seconds(600), defaultLifetime: .seconds(600), retryAfterFailure: .seconds(600)) { try server.fetch() }
    }

    @Test("a new key is fetched once on first sight; forged kids after it cause no fetch within the interval")
    func unknownKid() async throws {
        let old = try SigningKey.generate(.es256), new = try SigningKey.generate(.es256)
        let server = FakeServer(JWKS([old.verificationKey]))
        let keys = cache(server)
        _ = try await keys.verify(try token(old), now: now)
        #expect(server.calls.withLock { $0 } == 1)
        server.keys.withLock { $0 = JWKS([old.verificationKey, new.verificationKey]) }
        _ = try await keys.verify(try token(new), now: now)
        #expect(server.calls.withLock { $0 } == 2)
        let forger = try SigningKey.generate(.es256)
        for _ in 0..<100 {
            await #expect(throws: EdgeError.self) { try await keys.verify(try token(forger), now: now) }
        }
        #expect(server.calls.withLock { $0 } == 2)
    }

    @Test("concurrent requests with a new kid share one fetch")
    func sharedFetch() async throws {
        let old = try SigningKey.generate(.es256), new = try SigningKey.generate(.es256)
        let server = FakeServer(JWKS([old.verificationKey]))
        let keys = cache(server)
        try await keys.prefetch()
        server.keys.withLock { $0 = JWKS([old.verificationKey, new.verificationKey]) }
        let t = try token(new)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<20 { group.addTask { _ = try await keys.verify(t, now: now) } }
            try await group.waitForAll()
        }
        #expect(server.calls.withLock { $0 } == 2)
    }

    @Test("a server that is down is not asked again until the retry delay has passed, whatever the requests")
    func downServer() async throws {
        let server = FakeServer(nil)
        let keys = cache(server)
        let t = try token(try SigningKey.generate(.es256))
        for _ in 0..<50 {
            do { _ = try await keys.verify(t, now: now) } catch { #expect(error.code == .keysUnavailable || error.code == .server) }
        }
        #expect(server.calls.withLock { $0 } == 1)
    }
}
