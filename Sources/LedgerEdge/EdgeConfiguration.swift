import LedgerCodec
import LedgerTokens
import Logging
import Metrics

/// Everything an ``EdgeVerifier`` needs, as one value with defaults.
public struct EdgeConfiguration: Sendable {
    /// The AuthLedger server's base URL, such as `http://127.0.0.1:8080`.
    public var server: String
    /// An API key with the `events:read` scope (`authledger apikey create --scope events:read`):
    /// the revocation state and the event stream need it. The JWKS needs none.
    public var apiKey: String
    /// What a token must carry besides a valid signature: issuer, audiences, leeway.
    public var policy: VerificationPolicy
    /// What happens when the revoked set may be out of date. Fail closed after 30 s by default.
    public var failure = FailurePolicy()
    /// A token whose `kid` is not in the cached key set makes the library fetch the JWKS
    /// again, but at most once per this interval: tokens with made-up kids cannot make it
    /// hammer the server. A real new key is met within this interval of its first use.
    public var unknownKeyRefetchInterval: Duration = .seconds(10)
    /// How long a fetched key set is used when the answer has no `Cache-Control: max-age`.
    public var defaultKeySetLifetime: Duration = .seconds(60)
    /// Delays between reconnection attempts to the event stream.
    public var reconnect = Backoff()
    /// Longest wait for a connection and a response head.
    public var requestTimeout: Duration = .seconds(10)
    /// A stream that delivers nothing (not even a heartbeat) for this long is taken as dead
    /// and reconnected. Keep it above the server's `heartbeat-seconds` (15 by default).
    public var idleTimeout: Duration = .seconds(25)
    /// How often entries past their refuse-until time are dropped and metrics updated.
    public var maintenanceInterval: Duration = .seconds(1)
    /// The wall clock for token times and refuse-until times.
    public var clock: any LedgerClock = SystemClock()
    public var logger = Logger(label: "authledger.edge")
    /// Prefix of the metric names (see docs/EDGE.md).
    public var metricsPrefix = "authledger_edge"
    /// Where the metrics go; nil: the factory the process bootstrapped (`MetricsSystem`).
    public var metricsFactory: (any MetricsFactory)?

    public init(server: String, apiKey: String, policy: VerificationPolicy) {
        var server = server
        while server.hasSuffix("/") { server.removeLast() }
        self.server = server
        self.apiKey = apiKey
        self.policy = policy
    }
}
