import ArgumentParser
import Foundation
import LedgerServer
import Logging
import Metrics
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the engine over HTTP: sessions API, JWKS, revocation stream, metrics.",
        discussion: """
            Settings come from defaults, then a JSON file (--config), then AUTHLEDGER_* \
            environment variables, then flags; later ones win. Each setting has the same name \
            everywhere: the flag --max-body-bytes is the file member "max-body-bytes" and the \
            variable AUTHLEDGER_MAX_BODY_BYTES. By default it serves ./authledger-data on \
            127.0.0.1:8080. SIGTERM or SIGINT stops accepting, answers requests in flight, \
            ends open event streams and writes a final snapshot. See README.md and \
            docs/HTTP.md.
            """
    )

    @Option(help: "A JSON file of settings (an object whose members are setting names).") var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port (default 8080; 0 picks a free port, printed when listening).") var port: String?
    @Option(name: .customLong("data-dir"), help: "The data directory (default ./authledger-data).") var dataDir: String?
    @Option(help: "Comma-separated addresses of proxies whose X-Forwarded-For/Forwarded headers are believed.") var trustedProxies: String?
    @Option(help: "Login and refresh attempts per minute per client address (0: no limit; default 600).") var rateLimitPerMinute: String?
    @Option(help: "Attempts allowed at once before the per-minute rate applies (default 60).") var rateLimitBurst: String?
    @Option(help: "Largest request body in bytes (default 16384).") var maxBodyBytes: String?
    @Option(help: "Largest request head in bytes (default 16384).") var maxHeaderBytes: String?
    @Option(help: "Longest token in bytes (default 4096).") var maxTokenBytes: String?
    @Option(help: "true: refresh tokens also travel in an HttpOnly; Secure; SameSite=Strict cookie (default false).") var refreshCookie: String?
    @Option(help: "Comma-separated origins allowed to call the refresh route from a browser (default none).") var corsOrigins: String?
    @Option(help: "Seconds between heartbeats on an idle event stream (default 15).") var heartbeatSeconds: String?
    @Option(help: "Seconds caches may keep the JWKS (default 60; at most key-publish-ahead-seconds).") var jwksMaxAgeSeconds: String?
    @Option(help: "Seconds a new signing key is published before it signs (default 120).") var keyPublishAheadSeconds: String?
    @Option(help: "Seconds a connection may wait without a complete request part before it is closed (default 60).") var idleTimeoutSeconds: String?
    @Option(help: "Seconds a client may leave what was sent to it unread before its connection is closed (default 30).") var writeTimeoutSeconds: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(help: "The log's name in its signed checkpoints and verifier key (default authledger.local/log).") var logOrigin: String?
    @Option(help: "Seconds between signed checkpoints of the log (0: only at shutdown and when a proof needs one; default 60).") var checkpointSeconds: String?

    private var flags: [ServerSetting: String] {
        let all: [(ServerSetting, String?)] = [
            (.host, host), (.port, port), (.dataDir, dataDir), (.trustedProxies, trustedProxies),
            (.rateLimitPerMinute, rateLimitPerMinute), (.rateLimitBurst, rateLimitBurst), (.maxBodyBytes, maxBodyBytes),
            (.maxHeaderBytes, maxHeaderBytes), (.maxTokenBytes, maxTokenBytes), (.refreshCookie, refreshCookie),
            (.corsOrigins, corsOrigins), (.heartbeatSeconds, heartbeatSeconds), (.jwksMaxAgeSeconds, jwksMaxAgeSeconds),
            (.keyPublishAheadSeconds, keyPublishAheadSeconds), (.idleTimeoutSeconds, idleTimeoutSeconds),
            (.writeTimeoutSeconds, writeTimeoutSeconds), (.logLevel, logLevel),
            (.logOrigin, logOrigin), (.checkpointSeconds, checkpointSeconds),
        ]
        return Dictionary(uniqueKeysWithValues: all.compactMap { s, v in v.map { (s, $0) } })
    }

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.logger.logLevel = .info
        do {
            if let config {
                guard let data = FileManager.default.contents(atPath: config) else { throw CLIError("cannot read the configuration file \(config)") }
                try configuration.apply(ServerConfiguration.settings(fromFile: Array(data), path: config), from: config)
            }
            try configuration.apply(ServerConfiguration.settings(fromEnvironment: ProcessInfo.processInfo.environment), from: "the environment")
            try configuration.apply(flags, from: "flags")
            try configuration.validate()
        } catch let e as ConfigurationError {
            throw CLIError(e.description)
        }
        configuration.engine.logger = configuration.logger
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let (host, port) = (configuration.host, configuration.port)
        let app = try await buildApplication(configuration: configuration, registry: registry) { address in
            // One line on standard output, for people and for scripts that started us on port 0.
            emit("authledger listening on http://\(address?.ipAddress ?? host):\(address?.port ?? port)")
        }
        try await app.runService()
    }
}
