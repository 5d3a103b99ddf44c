import Logging
import Synchronization

/// Signs a checkpoint every interval, off the writer, until stopped. Shutdown stops it
/// (waiting for a signing under way) before signing the final checkpoint itself.
final class CheckpointSchedule: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    func start(every interval: Duration, _ checkpointer: Checkpointer, logger: Logger) {
        // Weak: an engine the application drops without shutdown() must still close its log.
        let new = Task.detached { [weak checkpointer] in
            while true {
                do { try await Task.sleep(for: interval) } catch { return }
                guard let checkpointer else { return }
                do { try checkpointer.sign() } catch {
                    logger.error("checkpoint not signed (retried in \(interval)): \(error)")
                }
            }
        }
        task.withLock { $0 = new }
    }

    /// Starts no more checkpoints (for an engine dropped without shutdown).
    func cancel() { task.withLock { $0?.cancel() } }

    /// Starts no more checkpoints, and waits for the one being signed.
    func stop() async {
        guard let running = task.withLock({ t in defer { t = nil }; return t }) else { return }
        running.cancel()
        await running.value
    }
}
