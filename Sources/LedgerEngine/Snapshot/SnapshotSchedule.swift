import LedgerCodec
import LedgerCrypto
import LedgerLog
import Synchronization

/// Takes snapshots one at a time, off the writer's thread.
final class SnapshotSchedule: Sendable {
    private struct State {
        var running = false
        var closed = false
        var lastPosition: UInt64 = 0
        /// The background snapshot being written, which shutdown waits for.
        var background: Task<Void, Never>?
    }
    private let state = Mutex(State())

    /// Called by the writer after each batch: starts a snapshot in the background when
    /// `every` events have passed since the last one and none is running.
    func maybeSnapshot(every: UInt64, state shared: SharedProjection, log: EventLog, store: SnapshotStore, configuration: EngineConfiguration) {
        let position = shared.withLock { $0.position }
        let copy = shared.withLock { $0 }
        state.withLock { s in
            guard !s.running, !s.closed, position >= s.lastPosition + every else { return }
            s.running = true
            // Off the writer's thread; shutdown waits for it (``finish()``).
            s.background = Task.detached {
                defer { self.state.withLock { $0.running = false } }
                do {
                    let info = try self.write(copy, log: log, store: store, keep: configuration.snapshotsToKeep)
                    configuration.logger.info("snapshot written", metadata: ["position": "\(info.position)", "bytes": "\(info.bytes)"])
                } catch {
                    configuration.logger.error("snapshot failed: \(error)")
                }
            }
        }
    }

    /// Starts no more background snapshots, and waits for the one being written.
    func finish() async {
        let running = state.withLock { s -> Task<Void, Never>? in
            s.closed = true
            return s.background
        }
        await running?.value
    }

    func take(state shared: SharedProjection, log: EventLog, store: SnapshotStore, configuration: EngineConfiguration) async throws -> SnapshotInfo {
        // The copy is O(1): the dictionaries are shared until the writer next changes them.
        let copy = shared.withLock { $0 }
        return try await Task.detached { try self.write(copy, log: log, store: store, keep: configuration.snapshotsToKeep) }.value
    }

    private func write(_ p: Projection, log: EventLog, store: SnapshotStore, keep: Int) throws -> SnapshotInfo {
        let hash = p.position == 0 ? SHA256Digest.zero : (try log.record(at: p.position)?.chainHash ?? .zero)
        let info = try store.write(SessionProjection(p), chainHash: hash, keep: keep)
        state.withLock { $0.lastPosition = max($0.lastPosition, info.position) }
        return info
    }
}
