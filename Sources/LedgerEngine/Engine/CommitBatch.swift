import Synchronization

/// One durable write of the engine: the commands decided together and committed in one
/// transaction (group commit). Reported to ``AuthEngine/observeCommits(_:)``.
public struct CommitBatch: Sendable, Equatable {
    /// Commands in the batch, including those refused (they were decided with it).
    public let commands: Int
    /// Events the transaction appended.
    public let events: Int
    /// From the start of the batch's decisions to its durable commit: how long the writer
    /// was busy with it.
    public let duration: Duration
}

/// The observers of committed batches; called on the writer's queue, so they must be quick.
final class CommitObservers: Sendable {
    private let observers = Mutex<[@Sendable (CommitBatch) -> Void]>([])

    func add(_ observer: @escaping @Sendable (CommitBatch) -> Void) { observers.withLock { $0.append(observer) } }

    func report(_ batch: CommitBatch) {
        for observer in observers.withLock({ $0 }) { observer(batch) }
    }
}
