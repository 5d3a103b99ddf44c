import LedgerCodec
import Logging
import LedgerLog
import LedgerTokens

/// Everything an ``AuthEngine`` can be told. Every field has a production-safe default.
public struct EngineConfiguration: Sendable {
    /// `iss` of access tokens.
    public var issuer = "authledger"
    /// `aud` of access tokens.
    public var audience = ["api"]
    /// Lifetimes given to new sessions (recorded in each session's start event, so a later
    /// change affects only new sessions). Defaults: access token 5 minutes, refresh token
    /// 7 days (renewed on rotation), inactivity 7 days, absolute cap 30 days.
    public var lifetimes = SessionLifetimes()
    /// How long after a rotation the previous refresh token still obtains the current one
    /// (lost responses, concurrent tabs). Zero disables the grace entirely.
    public var graceWindowSeconds: Int64 = 30
    /// Clock skew tolerated when checking access tokens; also extends how long a revoked
    /// session is remembered.
    public var leewaySeconds: Int64 = 30
    /// At most this many active sessions per user; a login beyond it revokes the oldest.
    /// Off (nil) by default.
    public var maxSessionsPerUser: Int?
    /// Which suspicious-activity rules raise flags.
    public var rules = SuspicionRules()
    /// The algorithm of generated signing keys.
    public var signingAlgorithm: JWSAlgorithm = .es256
    /// Where time comes from (injected in tests).
    public var clock: any LedgerClock = SystemClock()
    /// How the log is opened (durable by default).
    public var log = LogConfiguration()
    /// Take a snapshot every this many events (nil: only on demand and at shutdown).
    public var snapshotEveryEvents: UInt64?
    /// Take a snapshot at clean shutdown.
    public var snapshotAtShutdown = true
    /// How many snapshots to keep.
    public var snapshotsToKeep = 3
    /// Start from the newest valid snapshot (false: always replay the whole log).
    public var startFromSnapshot = true
    /// How long a new signing key is published before it signs (see
    /// ``AuthEngine/rotateSigningKey(algorithm:immediately:)``). Keep it at least as long as
    /// verifiers cache the JWKS (the server's `Cache-Control: max-age`, 60 s by default), so
    /// no verifier meets a token signed by a key it has not fetched.
    public var signingKeyPublishAheadSeconds: Int64 = 120
    /// How often the engine retires signing keys whose tokens have all expired (see
    /// ``AuthEngine/retireExpiredKeys()``) and activates a key published ahead if it is due
    /// (it is also woken at the activation time), from open until ``AuthEngine/shutdown()``.
    public var keyRetirementInterval: Duration = .seconds(60)
    /// The log's name: the origin line of its signed checkpoints and the name of its
    /// checkpoint key (`keys/log.pem`), so part of the verifier key auditors hold. One word
    /// (no spaces or `+`), conventionally a URL path that names this deployment's log.
    public var logOrigin = "authledger.local/log"
    /// How often a checkpoint of the log is signed (when it grew), from open until
    /// ``AuthEngine/shutdown()``; nil: only at shutdown and when a proof needs one.
    public var checkpointInterval: Duration? = .seconds(60)
    /// Sign a checkpoint at clean shutdown, so the latest covers every event.
    public var checkpointAtShutdown = true
    /// Seal personal fields (device labels, user agents, addresses) under per-user keys,
    /// so that ``AuthEngine/forget(user:actor:)`` can erase them. **Leave it on**: off is
    /// a benchmark-only baseline (`tools/bench`) that writes them in clear (schema 1),
    /// where forgetting a user erases nothing.
    public var sealPersonalData = true
    /// Where the engine reports what it does (start-up, skipped snapshots, snapshots taken).
    public var logger = Logger(label: "authledger.engine")

    public init() {}
}

/// Rules over the event stream that append a `suspicious.flagged` event when they fire.
public struct SuspicionRules: Sendable, Equatable {
    /// A login from a device (label + user agent) the user has never logged in from before
    /// (not raised for a user's very first login).
    public var newDevice = true
    /// A refresh from a different network (IPv4 /24, IPv6 /48) than the session's last one.
    public var networkChange = true
    /// A login that leaves the user with more active sessions than this. Nil disables it.
    public var tooManySessions: Int? = 10
    /// A refresh-token reuse (theft signal).
    public var refreshReuse = true
    public init() {}
}
