import LedgerEngine
import Logging
import ServiceLifecycle

/// Runs the engine as a service: it waits for graceful shutdown, then shuts the engine
/// down (final snapshot). Placed before the HTTP server in the service list, so it stops
/// last: requests in flight are answered before the engine refuses new commands.
struct EngineService: Service {
    let engine: AuthEngine
    let readiness: Readiness
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        readiness.shuttingDown()
        try await engine.shutdown()
        logger.info("engine shut down", metadata: ["position": .stringConvertible(engine.statistics.position)])
    }
}
