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
public struct SessionTokens: Sendable, Equatable, Codable {
    public let session: SessionID
    public let accessToken: String
    public let accessTokenExpiresAt: Timestamp
    public let refreshToken: String
    /// When the refresh token stops working unless rotated (also bounded by the absolute cap).
    public let refreshTokenExpiresAt: Timestamp
}

/// One session as a user sees it in "where am I logged in".
public struct SessionInfo: Sendable, Equatable, Codable {
    public let id: SessionID
    public let user: String
    /// Empty when ``isErased``.
    public let deviceLabel: String
    public let userAgent: String
    /// The address of the last refresh (or the login); unknown when ``isErased``.
    public let ip: IPAddress
    /// The user was forgotten: label, user agent and address are erased (their key is gone).
    public let isErased: Bool
    public let createdAt: Timestamp
    public let lastSeenAt: Timestamp
    public let expiresAt: Timestamp
    /// Whether this is the session the request came from.
    public let isCurrent: Bool

    /// `label`, `userAgent` and `ip` revealed (``PersonalDataReader/info(_:current:)``).
    init(_ s: SessionRecord, label: PersonalText, userAgent: PersonalText, ip: PersonalAddress, current: SessionID?) {
        id = s.id; user = s.user
        isErased = label == .erased || userAgent == .erased || ip == .erased
        deviceLabel = label.text ?? ""; self.userAgent = userAgent.text ?? ""; self.ip = ip.address ?? .unknown
        createdAt = s.createdAt; lastSeenAt = s.lastSeenAt; expiresAt = s.expiresAt
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

/// One page of a user's history (``AuthEngine/history(user:from:limit:)``).
public struct HistoryPage: Sendable, Equatable {
    /// Events in log order.
    public let events: [LoggedEvent]
    /// The position to ask for next, or nil when there is nothing after this page.
    public let next: UInt64?
}

/// What a genuine refresh token is (``AuthEngine/introspect(refreshToken:)``).
public struct RefreshTokenIntrospection: Sendable, Equatable {
    /// The session the token belongs to.
    public let session: SessionID
    /// The token's place in its session's lineage (1 for the login's token).
    public let generation: UInt32
    /// What presenting it would do now: only ``RefreshTokenStatus/current`` and
    /// ``RefreshTokenStatus/withinGrace`` mean it is active.
    public let status: RefreshTokenStatus
    /// The session as its user sees it, while it is active.
    public let info: SessionInfo?

    /// Whether presenting the token now would obtain tokens (RFC 7662 `active`).
    public var isActive: Bool { status == .current || status == .withinGrace }
}
