import LedgerEngine
import ServiceLifecycle
import Synchronization

/// The one clock of every open event stream: each interval it wakes all of them at once
/// (``AuthEngine/wakeTails()``), and each writes a heartbeat; when the server begins to
/// shut down, it wakes them to end. A stream so needs no timer and no task besides its
/// request's, which keeps an idle subscriber's memory close to its connection's.
///
/// Runs as one of the application's services, which stop after the server: it ticks until
/// the streams have ended.
final class StreamHeartbeat: Service, Sendable {
    let engine: AuthEngine
    let interval: Duration
    private let ended = Atomic<Bool>(false)

    init(engine: AuthEngine, interval: Duration) {
        self.engine = engine
        self.interval = interval
    }

    /// Whether streams should end (the server is shutting down).
    var ending: Bool { ended.load(ordering: .acquiring) }

    /// Ends every stream: each wakes, sees ``ending`` and finishes its response. Called by
    /// each stream's graceful-shutdown handler; every call wakes the streams waiting then.
    func end() {
        ended.store(true, ordering: .releasing)
        engine.wakeTails()
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: interval)
            engine.wakeTails()
        }
    }
}
