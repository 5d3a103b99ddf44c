import ServiceLifecycle

extension AuthEngine: Service {
    /// Runs until the service group shuts down gracefully (or the task is cancelled), then
    /// shuts the engine down: in a `ServiceGroup`, put the engine after the services that
    /// use it, so it stops last and finishes what they handed it.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }
}
