import Foundation
import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTokens

/// Rebuild and snapshot benchmarks.
enum SnapshotBenchmarks {
    /// Writes a realistic log of about `events` events: sessions that start, rotate their
    /// refresh token many times, and sometimes end. Timestamps advance 10 ms per batch.
    /// 200,000 users, named `user-N` (stored inline by `String`) or, with `uuidUsers`, by
    /// 36-byte UUID-shaped ids (on the heap, as email addresses and UUIDs are).
    static func fill(dir: String, events target: Int, uuidUsers: Bool = false) throws {
        let log = try EventLog(directory: dir, configuration: .unsafeFast())
        var rng = SystemRandomNumberGenerator()
        var live: [(SessionID, String, UInt32)] = []
        var written = 0
        var t = Timestamp(seconds: 1_767_225_600)
        var sessionCounter = 0
        // A key rotation every million events, as a running engine would log them.
        func keyEvents() throws -> [PendingEvent] {
            let key = try SigningKey.generate(.es256)
            return [AuthEvent.signingKeyAdded(SigningKeyAdded(kid: key.kid, algorithm: key.algorithm.rawValue, publicJWK: key.verificationKey.jwk!.serialized)).pending(user: nil, at: t),
                    AuthEvent.signingKeyActivated(SigningKeyChanged(kid: key.kid)).pending(user: nil, at: t)]
        }
        while written < target {
            var batch: [PendingEvent] = written % 1_000_000 < 10_000 ? try keyEvents() : []
            for _ in 0..<10_000 {
                let roll = Int.random(in: 0..<100, using: &rng)
                if roll < 6 || live.isEmpty {
                    let id = SessionID.random()
                    let n = sessionCounter % 200_000
                    let user = uuidUsers ? "9b2f6c1e-0d4a-4e8b-a7c3-" + String(String(n, radix: 16).reversed()).padding(toLength: 12, withPad: "0", startingAt: 0) : "user-\(n)"
                    sessionCounter += 1
                    live.append((id, user, 1))
                    batch.append(AuthEvent.sessionStarted(SessionStarted(session: id, device: Device(label: "Chrome on macOS", userAgent: "Mozilla/5.0 Chrome/131", ip: .v4(0x0a00_0001)),
                                                                          lifetimes: SessionLifetimes())).pending(user: user, at: t))
                } else if roll < 97 {
                    let i = Int.random(in: 0..<live.count, using: &rng)
                    live[i].2 += 1
                    batch.append(AuthEvent.refreshRotated(RefreshRotated(session: live[i].0, generation: live[i].2, ip: .v4(0x0a00_0001))).pending(user: live[i].1, at: t))
                } else {
                    let i = Int.random(in: 0..<live.count, using: &rng)
                    batch.append(AuthEvent.sessionEnded(SessionEnded(session: live[i].0)).pending(user: live[i].1, at: t))
                    live.swapAt(i, live.count - 1)
                    live.removeLast()
                }
            }
            _ = try log.commit(groups: [batch])
            written += batch.count
            t = t.adding(microseconds: 10_000)
        }
        let stats = try log.statistics()
        report(["bench": "rebuild-fill", "events": stats.records, "file_bytes": stats.fileBytes])
    }

    /// Rebuilds the projection from scratch and reports events per second and the digest.
    static func rebuild(dir: String) throws {
        var config = LogConfiguration()
        config.readOnly = true
        let log = try EventLog(directory: dir, configuration: config)
        var p = SessionProjection()
        let start = monotonicSeconds()
        let n = try p.advance(in: log)
        let secs = monotonicSeconds() - start
        report(["bench": "rebuild", "events": Int(n), "seconds": secs, "per_second": Double(n) / secs,
                "sessions": p.statistics.sessions, "digest": String(p.digest.hex.prefix(16))])
    }

    /// Snapshot write and load times for the projection of the log in `dir`.
    static func snapshot(dir: String) throws {
        var config = LogConfiguration()
        config.readOnly = true
        let log = try EventLog(directory: dir, configuration: config)
        var p = SessionProjection()
        try p.advance(in: log)
        let store = SnapshotStore.forWriting(dataDirectory: dir)
        let hash = try log.record(at: p.position)!.chainHash
        var t0 = monotonicSeconds()
        let info = try store.write(p, chainHash: hash, keep: 1)
        let writeSecs = monotonicSeconds() - t0
        t0 = monotonicSeconds()
        let loaded = try store.load(info, matching: log)
        let loadSecs = monotonicSeconds() - t0
        precondition(loaded.digest == p.digest, "a loaded snapshot must equal what was written")
        report(["bench": "snapshot", "sessions": p.statistics.sessions, "bytes": info.bytes,
                "write_seconds": writeSecs, "load_seconds": loadSecs])
    }

    /// How long writers are held up by a snapshot: login latencies with and without one
    /// being taken at the same time, on an engine holding the log's sessions.
    static func holdUp(dir: String) async throws {
        var c = EngineConfiguration()
        c.log.durability = .unsafeNoSync
        c.rules.tooManySessions = nil
        c.snapshotAtShutdown = false
        let engine = try await AuthEngine.open(dataDirectory: dir, configuration: c)
        func latencies(_ n: Int) async throws -> [Double] {
            var out: [Double] = []
            for i in 0..<n {
                let t0 = monotonicSeconds()
                _ = try await engine.login(LoginRequest(user: "probe-\(i)", device: Device(label: "probe")))
                out.append(monotonicSeconds() - t0)
            }
            return out.sorted()
        }
        let quiet = try await latencies(2_000)
        let snap = Task { try await engine.snapshot() }
        let during = try await latencies(2_000)
        _ = try await snap.value
        report(["bench": "snapshot-holdup", "sessions": engine.statistics.sessions,
                "quiet_median_ms": quiet[quiet.count / 2] * 1e3, "quiet_max_ms": quiet.last! * 1e3,
                "during_median_ms": during[during.count / 2] * 1e3, "during_max_ms": during.last! * 1e3])
    }
}

extension SnapshotBenchmarks {
    /// The key ring's start-up read: key events through the log's global index, next to the
    /// full scan it replaced, on the log in `dir` (opened once as a writer so the index exists).
    static func keyReplay(dir: String) throws {
        _ = try EventLog(directory: dir, configuration: .unsafeFast())
        var config = LogConfiguration()
        config.readOnly = true
        let log = try EventLog(directory: dir, configuration: config)
        var t0 = monotonicSeconds()
        let state = try KeyState.replay(log)
        let indexed = monotonicSeconds() - t0
        t0 = monotonicSeconds()
        var found = 0
        try log.scan { view in
            if !view.hasUser { found += 1 }
            return true
        }
        let scanned = monotonicSeconds() - t0
        report(["bench": "key-replay", "keys": state.entries.count, "global_records": found,
                "indexed_seconds": indexed, "scan_seconds": scanned])
    }
}
