import LedgerCodec
import LedgerLog
import LedgerTokens

/// What the application's backend knows about a login: who, and from which device.
public struct LoginRequest: Sendable, Equatable {
    public var user: String
    public var device: Device
    /// Claims to put in the access token (roles and the like); never `iss`, `sub`, `aud`,
    /// `exp`, `nbf`, `iat`, `jti` or `sid`.
    public var customClaims: [String: JSONValue]

    public init(user: String, device: Device, customClaims: [String: JSONValue] = [:]) {
        self.user = user
        self.device = device
        self.customClaims = customClaims
    }
}

/// A fresh pair of tokens for a session.
public struct SessionTokens: Sendable, Equatable {
    public let session: SessionID
    public let accessToken: String
    public let accessTokenExpiresAt: Timestamp
    public let refreshToken: String
    /// When the refresh token stops working unless rotated (also bounded by the absolute cap).
    public let refreshTokenExpiresAt: Timestamp
}

/// One session as a user sees it in "where am I logged in".
public struct SessionInfo: Sendable, Equatable {
    public let id: SessionID
    public let user: String
    public let deviceLabel: String
    public let userAgent: String
    /// The address of the last refresh (or the login).
    public let ip: IPAddress
    public let createdAt: Timestamp
    public let lastSeenAt: Timestamp
    public let expiresAt: Timestamp
    /// Whether this is the session the request came from.
    public let isCurrent: Bool

    init(_ s: SessionRecord, current: SessionID?) {
        id = s.id; user = s.user; deviceLabel = s.device.label; userAgent = s.device.userAgent
        ip = s.lastIP; createdAt = s.createdAt; lastSeenAt = s.lastSeenAt; expiresAt = s.expiresAt
        isCurrent = s.id == current
    }
}

/// What a refresh token would do if presented now.
public enum RefreshTokenStatus: Sendable, Equatable {
    /// The session's current token: it rotates.
    case current
    /// The previous token within the grace window: it obtains the current one again.
    case withinGrace
    /// A stale genuine token: presenting it would revoke the session.
    case reused(ReuseClassification)
    /// Not a token of a live session (forged, malformed, unknown, expired or revoked).
    case invalid(EngineError.Kind)
}

/// Counts for `authledger stats` and metrics.
public struct EngineStatistics: Sendable, Equatable {
    public var position: UInt64
    public var sessions: Int
    public var users: Int
    public var revokedRemembered: Int
}
