import Foundation
import LedgerCodec
import LedgerEngine
import LedgerLog

/// Personal data under per-user keys against the same work in clear (the benchmark-only
/// `sealPersonalData = false` baseline): a log written by the engine, its rebuild, and
/// the size of rotation records.
enum PersonalDataBenchmarks {
    static func configuration(sealed: Bool, durable: Bool) -> EngineConfiguration {
        var c = EngineBenchmarks.configuration(durable: durable)
        c.sealPersonalData = sealed
        c.snapshotAtShutdown = false
        return c
    }

    /// Writes about `events` events through the engine (no fsync): 256 callers, each logging
    /// in and refreshing its session from a changing address, logging out now and then.
    static func fill(dir: String, events: Int, sealed: Bool) async throws {
        let engine = try await AuthEngine.open(dataDirectory: dir, configuration: configuration(sealed: sealed, durable: false))
        let callers = 256
        try await withThrowingTaskGroup(of: Void.self) { group in
            for c in 0..<callers {
                group.addTask {
                    var n = 0
                    while true {
                        let device = Device(label: "Chrome on macOS \(c % 7)", userAgent: "Mozilla/5.0 Chrome/131", ip: .v4(0xc633_6400 | UInt32(c % 200)))
                        var token = try await engine.login(LoginRequest(user: "user-\(c)-\(n % 50)", device: device)).tokens
                        for r in 0..<15 {
                            token = try await engine.refresh(token.refreshToken, ip: .v4(0xc633_6400 | UInt32((c + r / 8) % 200)))
                        }
                        try await engine.logout(session: token.session)
                        n += 1
                        if try engine.log.head().position >= UInt64(events) { return }
                    }
                }
            }
            try await group.waitForAll()
        }
        var rotations = 0, rotationBytes = 0
        try engine.log.scan { view in
            if view.type == EventType.refreshRotated.rawValue {
                rotations += 1
                rotationBytes += 12 + (view.user?.utf8.count ?? 0) + view.payloadCount + 32
            }
            return true
        }
        let stats = try engine.log.statistics()
        try await engine.shutdown()
        report(["bench": "personal-fill", "sealed": sealed, "events": stats.records, "file_bytes": stats.fileBytes,
                "rotations": rotations, "rotation_record_bytes": Double(rotationBytes) / Double(max(rotations, 1))])
    }
}
