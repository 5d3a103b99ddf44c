import Foundation
import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTokens
import Synchronization

/// The engine benchmarks: durable refreshes and logins under concurrency, the stateful
/// access-token check, and projection memory per session.
enum EngineBenchmarks {
    static func configuration(durable: Bool) -> EngineConfiguration {
        var c = EngineConfiguration()
        c.log.durability = durable ? .durable : .unsafeNoSync
        c.rules.tooManySessions = nil
        return c
    }

    /// `callers` tasks, each refreshing its own session back to back for `seconds`; beside
    /// them, `forgers` tasks presenting forged refresh tokens (genuine format and session
    /// ids, wrong MAC) back to back, as a flood would.
    static func refresh(dir: String, callers: Int, seconds: Double, durable: Bool, forgers: Int = 0, sealed: Bool = true) async throws {
        var c = configuration(durable: durable)
        c.sealPersonalData = sealed
        let engine = try await AuthEngine.open(dataDirectory: dir, configuration: c)
        var tokens: [String] = []
        for i in 0..<callers {
            tokens.append(try await engine.login(LoginRequest(user: "user-\(i)", device: Device(label: "bench"))).tokens.refreshToken)
        }
        // One character of the tag changed (not the last, whose spare bits must stay zero):
        // well formed, names a live session, forged; refusing it takes the MAC.
        let forged = tokens.prefix(max(forgers, 1)).map { t in
            var chars = Array(t)
            let i = chars.count - 5
            chars[i] = chars[i] == "A" ? "B" : "A"
            return String(chars)
        }
        let commitsBefore = engine.log.commitCount
        let done = Counter(), refused = Counter()
        let start = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for token in tokens {
                group.addTask {
                    var token = token
                    while monotonicSeconds() - start < seconds {
                        token = try await engine.refresh(token).refreshToken
                        done.add(1)
                    }
                }
            }
            for f in 0..<forgers {
                let token = forged[f % forged.count]
                group.addTask {
                    while monotonicSeconds() - start < seconds {
                        do throws(EngineError) {
                            _ = try await engine.refresh(token)
                            fatalError("a forged refresh token was accepted")
                        } catch {
                            guard error.kind == .invalidRefreshToken else { throw error }
                        }
                        refused.add(1)
                        // Let the other tasks on this core run between attempts, as separate
                        // clients' requests would.
                        await Task.yield()
                    }
                }
            }
            try await group.waitForAll()
        }
        let secs = monotonicSeconds() - start
        let n = done.value
        let commits = engine.log.commitCount - commitsBefore
        report(["bench": "engine-refresh", "durable": durable, "callers": callers, "forgers": forgers, "sealed": sealed, "refreshes": n,
                "forgeries_refused": refused.value, "commits": commits,
                "mean_batch": Double(n) / Double(max(commits, 1)), "seconds": secs, "per_second": Double(n) / secs])
    }

    /// `callers` tasks logging users in for `seconds`.
    static func login(dir: String, callers: Int, seconds: Double) async throws {
        let engine = try await AuthEngine.open(dataDirectory: dir, configuration: configuration(durable: true))
        let done = Counter()
        let start = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<callers {
                group.addTask {
                    var i = 0
                    while monotonicSeconds() - start < seconds {
                        _ = try await engine.login(LoginRequest(user: "user-\(c)-\(i)", device: Device(label: "bench", userAgent: "Bench/1")))
                        i += 1
                        done.add(1)
                    }
                }
            }
            try await group.waitForAll()
        }
        let secs = monotonicSeconds() - start
        let n = done.value
        report(["bench": "engine-login", "callers": callers, "logins": n, "seconds": secs, "per_second": Double(n) / secs])
    }

    /// The stateful access-token check (signature, claims, revocation lookup) next to a bare
    /// signature verification of the same token, alternating, on one thread.
    static func accessTokenCheck(dir: String, seconds: Double) async throws {
        let (engine, token) = try await checkFixture(dir: dir)
        let jws = try CompactJWS(parsing: token)
        let key = engine.keys.jwks[jws.keyID!]!
        var checkOps = 0, bareOps = 0
        var checkTime = 0.0, bareTime = 0.0
        let end = monotonicSeconds() + seconds
        while monotonicSeconds() < end {
            var t0 = monotonicSeconds()
            for _ in 0..<256 { _ = try engine.verifyAccessToken(token) }
            checkTime += monotonicSeconds() - t0
            checkOps += 256
            t0 = monotonicSeconds()
            for _ in 0..<256 { precondition(key.isValidSignature(jws.signature, for: jws.signingInput)) }
            bareTime += monotonicSeconds() - t0
            bareOps += 256
        }
        report(["bench": "engine-check", "check_per_second": Double(checkOps) / checkTime,
                "bare_verify_per_second": Double(bareOps) / bareTime, "ratio": (Double(checkOps) / checkTime) / (Double(bareOps) / bareTime)])
    }

    /// An engine holding 5,000 ended sessions (so the revocation lookup is not into an
    /// empty set) and one live session's access token.
    static func checkFixture(dir: String) async throws -> (AuthEngine, String) {
        let engine = try await AuthEngine.open(dataDirectory: dir, configuration: configuration(durable: false))
        for i in 0..<5_000 {
            let t = try await engine.login(LoginRequest(user: "gone-\(i)", device: Device(label: "bench"))).tokens
            try await engine.logout(session: t.session)
        }
        let token = try await engine.login(LoginRequest(user: "alice", device: Device(label: "bench"))).tokens.accessToken
        return (engine, token)
    }

    /// Resident memory growth per active session: `sessions` session-start events are written
    /// to a log (no signing), then the engine opens it and builds its projection.
    static func memory(dir: String, sessions: Int, users: Int) async throws {
        do {
            let log = try EventLog(directory: dir, configuration: .unsafeFast())
            var i = 0
            while i < sessions {
                let n = min(10_000, sessions - i)
                let events = (i..<(i + n)).map { k in
                    AuthEvent.sessionStarted(SessionStarted(session: SessionID.random(),
                        device: Device(label: ["iPhone", "Chrome on macOS", "iPad", "Firefox on Linux"][k % 4],
                                       userAgent: "Mozilla/5.0 (device class \(k % 50))", ip: .v4(UInt32(truncatingIfNeeded: k) | 0x0a00_0000)),
                        lifetimes: SessionLifetimes())).pending(user: "user-\(k % users)")
                }
                _ = try log.commit(groups: [events])
                i += n
            }
        }
        let before = residentBytes(), anonBefore = anonymousResidentBytes()
        let start = monotonicSeconds()
        let engine = try await AuthEngine.open(dataDirectory: dir, configuration: configuration(durable: false))
        let secs = monotonicSeconds() - start
        let after = residentBytes(), anonAfter = anonymousResidentBytes()
        let count = engine.statistics.sessions
        // RSS also counts the log's pages the replay read through the memory map; the
        // anonymous figure is the projection's own memory.
        report(["bench": "engine-memory", "sessions": count, "users": users, "rss_growth_bytes": after - before,
                "rss_bytes_per_session": Double(after - before) / Double(count),
                "anon_growth_bytes": anonAfter - anonBefore, "bytes_per_session": Double(anonAfter - anonBefore) / Double(count),
                "open_seconds": secs])
    }

    /// ES256 signing on every core at once: the ceiling for refreshes, which each sign a token.
    static func parallelSigning(seconds: Double) async throws {
        let issuer = AccessTokenIssuer(key: try SigningKey.generate(.es256), issuer: "authledger", audience: ["api"])
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let done = Counter()
        let start = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<cores {
                group.addTask {
                    while monotonicSeconds() - start < seconds {
                        for _ in 0..<64 { _ = try issuer.issue(subject: "user-1234567", sessionID: SessionIDText.sample, now: 1_800_000_000) }
                        done.add(64)
                    }
                }
            }
            try await group.waitForAll()
        }
        let secs = monotonicSeconds() - start
        report(["bench": "sign-all-cores", "cores": cores, "per_second": Double(done.value) / secs])
    }
}

/// A shared counter that tasks can capture.
final class Counter: Sendable {
    private let atomic = Atomic<Int>(0)
    func add(_ n: Int) { atomic.add(n, ordering: .relaxed) }
    var value: Int { atomic.load(ordering: .relaxed) }
}
