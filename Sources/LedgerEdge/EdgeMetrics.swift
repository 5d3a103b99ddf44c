import Metrics

/// The library's state as swift-metrics gauges and counters, created once. The service
/// bootstraps a metrics backend (Prometheus, StatsD…); without one these cost nothing.
struct EdgeMetrics: Sendable {
    let lagEvents: Gauge
    let lagSeconds: Gauge
    let connected: Gauge
    let behind: Gauge
    let revokedSessions: Gauge
    let stateLoads: Counter
    let connections: Counter
    let revoked: Counter
    let refusedBehind: Counter

    init(prefix: String, factory: (any MetricsFactory)?) {
        let f = factory ?? MetricsSystem.factory
        lagEvents = Gauge(label: prefix + "_lag_events", factory: f)
        lagSeconds = Gauge(label: prefix + "_lag_seconds", factory: f)
        connected = Gauge(label: prefix + "_connected", factory: f)
        behind = Gauge(label: prefix + "_behind", factory: f)
        revokedSessions = Gauge(label: prefix + "_revoked_sessions", factory: f)
        stateLoads = Counter(label: prefix + "_state_loads_total", factory: f)
        connections = Counter(label: prefix + "_stream_connections_total", factory: f)
        revoked = Counter(label: prefix + "_refused_total", dimensions: [("reason", "revoked")], factory: f)
        refusedBehind = Counter(label: prefix + "_refused_total", dimensions: [("reason", "behind")], factory: f)
    }

    func report(_ status: EdgeStatus) {
        lagEvents.record(Int64(clamping: status.lagEvents))
        // A set never confirmed is reported as infinitely late, which alerts fire on.
        lagSeconds.record(status.lag.map { Double($0.components.seconds) + Double($0.components.attoseconds) * 1e-18 } ?? .infinity)
        connected.record(status.connected ? 1 : 0)
        behind.record(status.behind ? 1 : 0)
        revokedSessions.record(status.revokedSessions)
    }
}
