import Hummingbird
import LedgerEngine
@testable import LedgerServer
import Testing

@Suite("The OpenAPI document")
struct OpenAPITests {
    @Test("the router and docs/openapi.yaml list the same routes")
    func sameRoutes() async throws {
        let fixture = ServerFixture()
        let engine = try await fixture.openEngine()
        let routes = Routes(engine: engine, apiKeys: APIKeyStore(), configuration: fixture.configuration,
                            addresses: ClientAddressResolver(trustedProxies: []),
                            rateLimiter: RateLimiter(RateLimit(), clock: fixture.clock), metrics: ServerMetrics(registry: .init()),
                            heartbeat: StreamHeartbeat(engine: engine, interval: .seconds(1)))
        let router = routes.router()
        let served = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = Set(try OpenAPICheck.run(["routes"]).out.split(separator: "\n").map(String.init))
        #expect(served.subtracting(documented).isEmpty, "served but not documented")
        #expect(documented.subtracting(served).isEmpty, "documented but not served")
        try await engine.shutdown()
    }
}
