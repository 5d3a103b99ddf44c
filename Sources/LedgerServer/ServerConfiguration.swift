import LedgerEngine
import Logging

/// Everything `authledger serve` can be told. Every field has a default that is safe on a
/// developer's machine: loopback only, the embedded default data directory, no proxies trusted.
public struct ServerConfiguration: Sendable {
    /// The address to listen on. Loopback by default: exposing the service is a decision.
    public var host = "127.0.0.1"
    /// The port; 0 asks the system for a free one (the bound port is reported when listening).
    public var port = 8080
    /// The engine's data directory.
    public var dataDirectory = "authledger-data"
    /// How the engine behaves (lifetimes, grace window, clock, logger).
    public var engine = EngineConfiguration()
    /// Sizes beyond which a request is refused before it is read further.
    public var limits = RequestLimits()
    /// How long a connection may wait for its client before it is closed.
    public var timeouts = ConnectionTimeouts()
    /// Peers whose `X-Forwarded-For` / `Forwarded` headers are believed (exact addresses).
    /// Anyone else's forwarding headers are ignored: the socket's address is the client's.
    public var trustedProxies: [String] = []
    /// Login and refresh attempts allowed per client address.
    public var rateLimit = RateLimit()
    /// Browser mode: the refresh token travels in a cookie, and these origins may call.
    public var browser = BrowserMode()
    /// How long caches may keep the JWKS (`Cache-Control: max-age`). At most the engine's
    /// ``EngineConfiguration/signingKeyPublishAheadSeconds`` (120 s by default), so every
    /// cached key set holds a new key before it signs.
    public var jwksMaxAgeSeconds = 60
    /// How often an idle event stream sends a heartbeat carrying the latest position.
    public var heartbeatSeconds = 15
    /// Where the server reports requests and its own life.
    public var logger = Logger(label: "authledger.server")

    public init() {}
}

/// Request size limits, in bytes.
public struct RequestLimits: Sendable, Equatable {
    /// The largest request body read (login with custom claims fits well within it).
    public var maxBodyBytes = 16_384
    /// The largest request head (request line and headers together).
    public var maxHeaderBytes = 16_384
    /// The longest token (access, refresh or API key) looked at.
    public var maxTokenBytes = 4_096
    public init() {}
}

/// When the server gives up on a client, in seconds. Connections cost a file descriptor and
/// some memory each, nothing else: a slow or silent client never holds up anyone else's
/// request, and these bounds keep idle and stalled ones from piling up.
public struct ConnectionTimeouts: Sendable, Equatable {
    /// A connection with no request in progress, or whose request head or body stops
    /// arriving, is closed after this long without a complete request part. A request head
    /// that trickles in byte by byte counts as no part until it is complete.
    public var idleSeconds = 60
    /// A connection whose client leaves what was sent to it unread this long is closed: a
    /// subscriber that stops reading its event stream is dropped, and its tail ends.
    public var writeStallSeconds = 30
    public init() {}
}

/// A token bucket per client address for login and refresh.
public struct RateLimit: Sendable, Equatable {
    /// Sustained attempts per minute; 0 turns the limit off.
    public var perMinute = 600
    /// Attempts allowed at once before the sustained rate applies.
    public var burst = 60
    public init() {}
}

/// The refresh token in an `HttpOnly; Secure; SameSite=Strict` cookie, for browsers.
public struct BrowserMode: Sendable, Equatable {
    /// Whether refresh answers also set the cookie and accept it instead of a body.
    public var refreshCookie = false
    /// The cookie's name.
    public var cookieName = "authledger_refresh"
    /// Origins allowed to call login-free browser routes (refresh) with credentials; empty: no CORS.
    public var allowedOrigins: [String] = []
    public init() {}
}
