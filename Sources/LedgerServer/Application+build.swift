import Hummingbird
import HummingbirdCore
import LedgerEngine
import Logging
import NIOCore
import Prometheus
import Synchronization

/// The HTTP service over a freshly opened engine, used by `authledger serve` and by the
/// tests alike. The engine is open (replay done) before the application is returned; it
/// runs as one of the application's services and shuts down after the server stops.
public func buildApplication(
    configuration: ServerConfiguration,
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    try configuration.validate()
    let engine = try await AuthEngine.open(dataDirectory: configuration.dataDirectory, configuration: configuration.engine)
    return try buildApplication(engine: engine, configuration: configuration, registry: registry, onServerRunning: onServerRunning)
}

/// The HTTP service over an engine the caller opened (tests that set the clock or seed the
/// log first). The application owns the engine from here: it shuts it down when it stops.
public func buildApplication(
    engine: AuthEngine,
    configuration: ServerConfiguration,
    registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
    onServerRunning: @escaping @Sendable (SocketAddress?) async -> Void = { _ in }
) throws -> some ApplicationProtocol {
    try configuration.validate()
    let apiKeys = try APIKeyStore.replay(engine.log)
    let metrics = ServerMetrics(registry: registry)
    engine.observeCommits(metrics.batch)
    let routes = Routes(
        engine: engine, apiKeys: apiKeys, configuration: configuration,
        addresses: ClientAddressResolver(trustedProxies: configuration.trustedProxies),
        rateLimiter: RateLimiter(configuration.rateLimit, clock: configuration.engine.clock),
        metrics: metrics,
        heartbeat: StreamHeartbeat(engine: engine, interval: .seconds(configuration.heartbeatSeconds)))
    let responder = routes.responder()
    let stall = TimeAmount.seconds(Int64(configuration.timeouts.writeStallSeconds))
    // The decoder refuses heads well past max-header-bytes outright (the connection is
    // closed); heads up to it are read and answered 431 by `ObservedResponder`.
    var decoder = HTTP1Channel.Configuration.DecoderConfiguration()
    decoder.maxHeaderListSize = max(configuration.limits.maxHeaderBytes * 2, 16_384)
    decoder.maxHeaderFieldSize = decoder.maxHeaderListSize
    let http1 = HTTP1Channel.Configuration(
        additionalChannelHandlers: [StalledWriteHandler(timeout: stall)],
        idleTimeout: .seconds(Int64(configuration.timeouts.idleSeconds)),
        httpDecoderConfiguration: decoder)
    return Application(
        responder: responder,
        server: .http1(configuration: http1),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "authledger"),
        // The application stops its server before its services: requests in flight are
        // answered and streams ended before the engine refuses commands and snapshots
        // (and before the streams' heartbeat stops).
        services: [engine, routes.heartbeat],
        onServerRunning: { channel in await onServerRunning(channel.localAddress) },
        logger: configuration.logger)
}

extension Routes {
    /// Every route, observed (``ObservedResponder``).
    func responder() -> ObservedResponder<RouterResponder<ServerContext>> {
        let (router, table) = routerAndTable()
        return ObservedResponder(router: router.buildResponder(), metrics: metrics, maxHeaderBytes: limits.maxHeaderBytes,
                                 maxBodyBytes: limits.maxBodyBytes, allowedMethods: { table.methods(for: $0) })
    }

    /// The routes alone (the OpenAPI test lists them).
    func router() -> Router<ServerContext> { routerAndTable().router }

    private func routerAndTable() -> (router: Router<ServerContext>, table: RouteTable) {
        let router = Router(context: ServerContext.self)
        let table = RouteTable()
        addSessionRoutes(to: router)
        addTokenRoutes(to: router)
        addKeyRoutes(to: router)
        addOperationRoutes(to: router)
        addEventRoutes(to: router)
        addProofRoutes(to: router)
        table.set(router.routes.map { ($0.method, $0.path.description) })
        return (router, table)
    }
}

/// The routes as (method, pattern), for answering 405 with `Allow` where Hummingbird would
/// say 404, and for checking the OpenAPI document against the router.
final class RouteTable: Sendable {
    private let routes = Mutex<[(HTTPRequest.Method, [Substring])]>([])

    func set(_ list: [(HTTPRequest.Method, String)]) {
        routes.withLock { $0 = list.map { ($0.0, $0.1.split(separator: "/")) } }
    }

    func methods(for path: String) -> [HTTPRequest.Method] {
        let parts = path.split(separator: "/")
        return routes.withLock { routes in
            routes.filter { _, pattern in
                pattern.count == parts.count && zip(pattern, parts).allSatisfy { p, s in p.hasPrefix(":") || p.hasPrefix("{") || p == s }
            }.map(\.0)
        }.sorted { $0.rawValue < $1.rawValue }
    }
}
