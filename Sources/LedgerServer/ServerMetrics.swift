import CoreMetrics
import LedgerEngine
import Metrics
import Prometheus
import Synchronization

/// The service's metrics, made through swift-metrics on a factory the server owns (so two
/// servers in one process, as in tests, never share counters), exported by swift-prometheus.
/// Objects are created once per label set and cached, not per request.
final class ServerMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let requests = Mutex<[RequestKey: CoreMetrics.Counter]>([:])
    private let latencies = Mutex<[String: Metrics.Timer]>([:])
    private let commits = Mutex<[String: Metrics.Timer]>([:])
    private let subscribers: CoreMetrics.Gauge
    private let subscriberCount = Mutex(0)
    let eventsStreamed: CoreMetrics.Counter
    private let position: CoreMetrics.Gauge
    private let logCommits: CoreMetrics.Gauge
    private let activeSessions: CoreMetrics.Gauge
    private let revokedRemembered: CoreMetrics.Gauge
    private let batchCommands: CoreMetrics.Recorder
    private let batchEvents: CoreMetrics.Recorder
    private let batchDuration: Metrics.Timer

    private struct RequestKey: Hashable { let route: String, method: String, status: Int }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
                                                   .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                                   .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]
        // Group-commit batch sizes: powers of two up to the engine's largest batch.
        factory.defaultValueHistogramBuckets = (0...12).map { Double(1 << $0) }
        self.factory = factory
        batchCommands = CoreMetrics.Recorder(label: "authledger_commit_batch_commands", aggregate: true, factory: factory)
        batchEvents = CoreMetrics.Recorder(label: "authledger_commit_batch_events", aggregate: true, factory: factory)
        batchDuration = Metrics.Timer(label: "authledger_commit_batch_duration_seconds", preferredDisplayUnit: .seconds, factory: factory)
        subscribers = CoreMetrics.Gauge(label: "authledger_event_subscribers", factory: factory)
        eventsStreamed = CoreMetrics.Counter(label: "authledger_events_streamed_total", factory: factory)
        position = CoreMetrics.Gauge(label: "authledger_log_position", factory: factory)
        logCommits = CoreMetrics.Gauge(label: "authledger_log_commits", factory: factory)
        activeSessions = CoreMetrics.Gauge(label: "authledger_sessions_active", factory: factory)
        revokedRemembered = CoreMetrics.Gauge(label: "authledger_sessions_revoked_remembered", factory: factory)
    }

    func request(route: String, method: String, status: Int, duration: Duration) {
        let key = RequestKey(route: route, method: method, status: status)
        let counter = requests.withLock { cache in
            if let c = cache[key] { return c }
            let c = CoreMetrics.Counter(label: "authledger_http_requests_total",
                            dimensions: [("route", route), ("method", method), ("status", String(status))], factory: factory)
            cache[key] = c
            return c
        }
        counter.increment()
        let timer = latencies.withLock { cache in
            let name = method + " " + route
            if let t = cache[name] { return t }
            let t = Metrics.Timer(label: "authledger_http_request_duration_seconds", dimensions: [("route", route), ("method", method)],
                                  preferredDisplayUnit: .seconds, factory: factory)
            cache[name] = t
            return t
        }
        timer.recordNanoseconds(duration.nanoseconds)
    }

    func subscriber(connected: Bool) {
        let n = subscriberCount.withLock { n in n += connected ? 1 : -1; return n }
        subscribers.record(Double(n))
    }

    /// How long a command took from submission to its durable answer (the group commit as
    /// its caller sees it).
    func commit(_ command: String, duration: Duration) {
        let timer = commits.withLock { cache in
            if let t = cache[command] { return t }
            let t = Metrics.Timer(label: "authledger_commit_duration_seconds", dimensions: [("command", command)],
                                  preferredDisplayUnit: .seconds, factory: factory)
            cache[command] = t
            return t
        }
        timer.recordNanoseconds(duration.nanoseconds)
    }

    /// One batch the engine committed (its observer; on the writer's queue).
    func batch(_ b: CommitBatch) {
        batchCommands.record(b.commands)
        batchEvents.record(b.events)
        batchDuration.recordNanoseconds(b.duration.nanoseconds)
    }

    /// The engine's gauges, read when scraped.
    func scrape(_ engine: AuthEngine) -> [UInt8] {
        let stats = engine.statistics
        position.record(Double(stats.position))
        logCommits.record(Double(engine.log.commitCount))
        activeSessions.record(Double(stats.sessions))
        revokedRemembered.record(Double(stats.revokedRemembered))
        return registry.emitToBuffer()
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}
