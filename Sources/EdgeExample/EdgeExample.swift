import Foundation
import Hummingbird
import LedgerEdge
import LedgerEdgeHummingbird
import LedgerTokens
import Logging
import ServiceLifecycle

/// `edge-example`: a service that protects `GET /hello` with an AuthLedger access token,
/// verified locally, and refuses it within milliseconds of a revocation on the server.
///
///     AUTHLEDGER_URL=http://127.0.0.1:8080 AUTHLEDGER_KEY=alk_… swift run edge-example
///
/// Settings by environment: AUTHLEDGER_URL, AUTHLEDGER_KEY (an events:read API key),
/// AUTHLEDGER_ISSUER (default authledger), AUTHLEDGER_AUDIENCE (default api), EDGE_PORT
/// (default 8081; 0 picks a free port, printed when listening).
@main
struct EdgeExample {
    static func main() async throws {
        let env = ProcessInfo.processInfo.environment
        guard let key = env["AUTHLEDGER_KEY"] else {
            FileHandle.standardError.write(Data("set AUTHLEDGER_KEY to an API key with the events:read scope (authledger apikey create --scope events:read)\n".utf8))
            exit(64)
        }
        var logger = Logger(label: "edge-example")
        logger.logLevel = .info
        var configuration = EdgeConfiguration(
            server: env["AUTHLEDGER_URL"] ?? "http://127.0.0.1:8080", apiKey: key,
            policy: VerificationPolicy(issuer: env["AUTHLEDGER_ISSUER"] ?? "authledger", audience: env["AUTHLEDGER_AUDIENCE"] ?? "api"))
        configuration.logger = logger
        let verifier = EdgeVerifier(configuration: configuration)
        let app = buildApplication(verifier: verifier, port: Int(env["EDGE_PORT"] ?? "") ?? 8081, logger: logger)
        try await app.runService()
    }

    /// The application, used by `main` and the tests alike.
    static func buildApplication(verifier: EdgeVerifier, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: EdgeRequestContext.self)
        router.get("healthz") { _, _ in "ok" }
        router.group("hello")
            .add(middleware: EdgeAuthenticationMiddleware(verifier: verifier))
            .get { _, context in
                let identity = try context.requireIdentity()
                return "hello \(identity.user), session \(identity.session)\n"
            }
        return Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            services: [verifier],
            onServerRunning: { channel in
                // Unbuffered, for people and for scripts that started us on port 0.
                FileHandle.standardOutput.write(Data("edge-example listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)\n".utf8))
            },
            logger: logger)
    }
}
