import LedgerCrypto

/// Every kind of event AuthLedger records. Payload layouts are in `docs/EVENTS.md`;
/// no event ever holds a token, a secret or a password.
public enum AuthEvent: Sendable, Equatable {
    /// A user logged in on a device and a session began.
    case sessionStarted(SessionStarted)
    /// A refresh token was exchanged for its successor.
    case refreshRotated(RefreshRotated)
    /// A genuinely issued but stale refresh token was presented: a theft signal.
    case refreshReuseDetected(RefreshReuseDetected)
    /// The user logged out of one session.
    case sessionEnded(SessionEnded)
    /// A session was revoked (by an admin, a reuse, a password change, a ban, a limit).
    case sessionRevoked(SessionRevoked)
    /// All of a user's sessions were revoked, optionally all but one.
    case userSessionsRevoked(UserSessionsRevoked)
    /// The user was banned: every session ends, no new login until unbanned.
    case userBanned(UserBanned)
    /// The ban was lifted.
    case userUnbanned(UserUnbanned)
    /// A signing key's public part was published.
    case signingKeyAdded(SigningKeyAdded)
    /// A key became the one that signs new access tokens.
    case signingKeyActivated(SigningKeyChanged)
    /// A key stopped being published: every token it signed has expired.
    case signingKeyRetired(SigningKeyChanged)
    /// A rule over the event stream flagged something suspicious.
    case suspiciousActivity(SuspiciousActivity)
    /// The user was forgotten: their data key was deleted with this event, so every
    /// personal field of their schema 2 events is erased; the id is retired.
    case userForgotten(UserForgotten)
    /// An API key for the HTTP service was created (its secret's hash, never the secret).
    case apiKeyCreated(APIKeyCreated)
    /// An API key was revoked; it authorizes nothing from then on.
    case apiKeyRevoked(APIKeyRevoked)
}

/// The stable type codes. A code is never reused for another meaning.
public enum EventType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case sessionStarted = 1
    case refreshRotated = 2
    case refreshReuseDetected = 3
    case sessionEnded = 4
    case sessionRevoked = 5
    case userSessionsRevoked = 6
    case userBanned = 7
    case userUnbanned = 8
    case signingKeyAdded = 9
    case signingKeyActivated = 10
    case signingKeyRetired = 11
    case suspiciousActivity = 12
    case apiKeyCreated = 13
    case apiKeyRevoked = 14
    case userForgotten = 15

    /// Key events are global; every other event belongs to a user.
    public var belongsToUser: Bool {
        switch self {
        case .signingKeyAdded, .signingKeyActivated, .signingKeyRetired, .apiKeyCreated, .apiKeyRevoked: false
        default: true
        }
    }

    /// The newest schema version of each type this build writes and reads. Schema 2 of the
    /// three ending events names each ended session and its refuse-until time; schema 2 of
    /// the four events with personal fields holds them encrypted under the user's key.
    public var currentVersion: UInt8 {
        switch self {
        case .sessionEnded, .sessionRevoked, .userSessionsRevoked: 2
        case .sessionStarted, .refreshRotated, .refreshReuseDetected, .suspiciousActivity: 2
        default: 1
        }
    }

    /// The name used in JSON output, e.g. `session.started`.
    public var description: String {
        switch self {
        case .sessionStarted: "session.started"
        case .refreshRotated: "refresh.rotated"
        case .refreshReuseDetected: "refresh.reuse_detected"
        case .sessionEnded: "session.ended"
        case .sessionRevoked: "session.revoked"
        case .userSessionsRevoked: "user.sessions_revoked"
        case .userBanned: "user.banned"
        case .userUnbanned: "user.unbanned"
        case .signingKeyAdded: "key.added"
        case .signingKeyActivated: "key.activated"
        case .signingKeyRetired: "key.retired"
        case .suspiciousActivity: "suspicious.flagged"
        case .userForgotten: "user.forgotten"
        case .apiKeyCreated: "apikey.created"
        case .apiKeyRevoked: "apikey.revoked"
        }
    }

    /// Type codes reserved for annotations: records that never change a projection or the
    /// revocation state (notes, markers, proofs). A reader that does not know an annotation
    /// type skips the record; any other unknown type is refused, naming its position.
    public static let annotations: ClosedRange<UInt8> = 192...254

    /// Whether a record of type `code` is an annotation this build does not know, to be skipped.
    @inlinable
    public static func isUnknownAnnotation(_ code: UInt8) -> Bool {
        // Literal bounds (the same as ``annotations``): replay asks this of every record.
        code >= 192 && code <= 254 && EventType(rawValue: code) == nil
    }

    public init?(name: String) {
        guard let t = EventType.allCases.first(where: { $0.description == name }) else { return nil }
        self = t
    }
}

/// Device facts recorded at login.
public struct Device: Sendable, Equatable, Hashable {
    /// What the user calls it, e.g. "Chrome on macOS".
    public var label: String
    public var userAgent: String
    public var ip: IPAddress
    public init(label: String, userAgent: String = "", ip: IPAddress = .unknown) {
        self.label = label; self.userAgent = userAgent; self.ip = ip
    }

    // By bytes, not canonical equivalence: a label that differs in any byte is another
    // device (for the new-device rule, and for how the device is shown back to its user).
    public static func == (a: Device, b: Device) -> Bool {
        a.label.hasSameBytes(as: b.label) && a.userAgent.hasSameBytes(as: b.userAgent) && a.ip == b.ip
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ExactString(label))
        hasher.combine(ExactString(userAgent))
        hasher.combine(ip)
    }
}

/// The lifetimes a session was opened with, in seconds (recorded so replay never depends
/// on today's configuration).
public struct SessionLifetimes: Sendable, Equatable, Hashable {
    public var accessToken: UInt32
    public var refreshToken: UInt32
    public var idleTimeout: UInt32
    public var absolute: UInt32
    public init(accessToken: UInt32 = 300, refreshToken: UInt32 = 7 * 86_400, idleTimeout: UInt32 = 7 * 86_400, absolute: UInt32 = 30 * 86_400) {
        self.accessToken = accessToken; self.refreshToken = refreshToken
        self.idleTimeout = idleTimeout; self.absolute = absolute
    }
}

public struct SessionStarted: Sendable, Equatable {
    public var session: SessionID
    /// What the user calls the device, e.g. "Chrome on macOS".
    public var label: PersonalText
    public var userAgent: PersonalText
    /// The address the user logged in from.
    public var ip: PersonalAddress
    /// Schema 2: 64 bits of an HMAC, under the user's key, of label and user agent, for the
    /// new-device rule (equal devices of one user compare equal; nothing can be guessed
    /// from it without the key). Nil in schema 1, whose device is compared in clear.
    public var deviceFingerprint: UInt64?
    public var lifetimes: SessionLifetimes

    /// A schema 1 login: the device in clear.
    public init(session: SessionID, device: Device, lifetimes: SessionLifetimes) {
        self.init(session: session, label: .clear(device.label), userAgent: .clear(device.userAgent), ip: .clear(device.ip),
                  deviceFingerprint: nil, lifetimes: lifetimes)
    }

    /// A login as given; with sealed fields and a fingerprint it is written as schema 2.
    public init(session: SessionID, label: PersonalText, userAgent: PersonalText, ip: PersonalAddress,
                deviceFingerprint: UInt64?, lifetimes: SessionLifetimes) {
        self.session = session; self.label = label; self.userAgent = userAgent; self.ip = ip
        self.deviceFingerprint = deviceFingerprint; self.lifetimes = lifetimes
    }
}

public struct RefreshRotated: Sendable, Equatable {
    public var session: SessionID
    /// The generation of the refresh token issued by this rotation.
    public var generation: UInt32
    /// The client's address: clear in schema 1, sealed in schema 2.
    public var ip: PersonalAddress
    /// A schema 1 rotation: the address in clear.
    public init(session: SessionID, generation: UInt32, ip: IPAddress) {
        self.init(session: session, generation: generation, address: .clear(ip))
    }
    /// A rotation as given; a sealed address makes it schema 2.
    public init(session: SessionID, generation: UInt32, address: PersonalAddress) {
        self.session = session; self.generation = generation; self.ip = address
    }
}

/// How a reused refresh token relates to the session's live lineage.
public enum ReuseClassification: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// The direct predecessor of the current token, presented after the grace window.
    case recentPredecessor = 1
    /// A token older than the current token's predecessor.
    case staleLineage = 2
    /// A validly signed token newer than anything the log knows (e.g. after a restore).
    case orphanedBranch = 3
    public var description: String {
        switch self {
        case .recentPredecessor: "recent-predecessor"
        case .staleLineage: "stale-lineage"
        case .orphanedBranch: "orphaned-branch"
        }
    }
}

public struct RefreshReuseDetected: Sendable, Equatable {
    public var session: SessionID
    public var presentedGeneration: UInt32
    public var currentGeneration: UInt32
    public var classification: ReuseClassification
    /// The presenter's address: clear in schema 1, sealed in schema 2.
    public var ip: PersonalAddress
    /// Schema 1: the address in clear.
    public init(session: SessionID, presentedGeneration: UInt32, currentGeneration: UInt32, classification: ReuseClassification, ip: IPAddress) {
        self.init(session: session, presentedGeneration: presentedGeneration, currentGeneration: currentGeneration,
                  classification: classification, address: .clear(ip))
    }
    /// As given; a sealed address makes it schema 2.
    public init(session: SessionID, presentedGeneration: UInt32, currentGeneration: UInt32, classification: ReuseClassification,
                address: PersonalAddress) {
        self.session = session; self.presentedGeneration = presentedGeneration
        self.currentGeneration = currentGeneration; self.classification = classification; self.ip = address
    }
}

public struct SessionEnded: Sendable, Equatable {
    public var session: SessionID
    /// Until when the session's access tokens must be refused (schema 2; nil in schema 1
    /// records, whose time the engine works out from the session's lifetimes).
    public var refuseUntil: Timestamp?
    public init(session: SessionID, refuseUntil: Timestamp? = nil) { self.session = session; self.refuseUntil = refuseUntil }
}

/// A session ended by an event, with the time until which its access tokens are refused.
public struct EndedSession: Sendable, Equatable {
    public var session: SessionID
    public var refuseUntil: Timestamp
    public init(session: SessionID, refuseUntil: Timestamp) { self.session = session; self.refuseUntil = refuseUntil }
}

/// Why sessions were revoked.
public enum RevocationReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case admin = 1
    case reuseDetected = 2
    case passwordChange = 3
    case ban = 4
    case sessionLimit = 5
    case logoutAll = 6
    public var description: String {
        switch self {
        case .admin: "admin"
        case .reuseDetected: "reuse-detected"
        case .passwordChange: "password-change"
        case .ban: "ban"
        case .sessionLimit: "session-limit"
        case .logoutAll: "logout-all"
        }
    }
}

public struct SessionRevoked: Sendable, Equatable {
    public var session: SessionID
    public var reason: RevocationReason
    /// Who did it: an admin's id, "user", or "system".
    public var actor: String
    /// Until when the session's access tokens must be refused (schema 2; nil in schema 1).
    public var refuseUntil: Timestamp?
    public init(session: SessionID, reason: RevocationReason, actor: String, refuseUntil: Timestamp? = nil) {
        self.session = session; self.reason = reason; self.actor = actor; self.refuseUntil = refuseUntil
    }
}

public struct UserSessionsRevoked: Sendable, Equatable {
    /// The session left alive (the one the password was changed from), if any.
    public var except: SessionID?
    public var reason: RevocationReason
    public var actor: String
    /// Every session this event ended, with its refuse-until time (schema 2), so that a
    /// follower of the log needs no other state; nil in schema 1 records, which name no
    /// session and are expanded through the projection.
    public var sessions: [EndedSession]?
    public init(except: SessionID?, reason: RevocationReason, actor: String, sessions: [EndedSession]? = nil) {
        self.except = except; self.reason = reason; self.actor = actor; self.sessions = sessions
    }
}

public struct UserBanned: Sendable, Equatable {
    public var actor: String
    public var reason: String
    public init(actor: String, reason: String) { self.actor = actor; self.reason = reason }
}

public struct UserUnbanned: Sendable, Equatable {
    public var actor: String
    public init(actor: String) { self.actor = actor }
}

public struct SigningKeyAdded: Sendable, Equatable {
    public var kid: String
    /// The JOSE algorithm, e.g. `ES256`.
    public var algorithm: String
    /// The public key as a JWK (JSON); never the private part.
    public var publicJWK: String
    public init(kid: String, algorithm: String, publicJWK: String) {
        self.kid = kid; self.algorithm = algorithm; self.publicJWK = publicJWK
    }
}

public struct SigningKeyChanged: Sendable, Equatable {
    public var kid: String
    public init(kid: String) { self.kid = kid }
}

/// The rule that raised a flag.
public enum SuspicionRule: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case newDevice = 1
    case networkChange = 2
    case tooManySessions = 3
    case refreshReuse = 4
    public var description: String {
        switch self {
        case .newDevice: "new-device"
        case .networkChange: "network-change"
        case .tooManySessions: "too-many-sessions"
        case .refreshReuse: "refresh-reuse"
        }
    }
}

public struct SuspiciousActivity: Sendable, Equatable {
    public var rule: SuspicionRule
    public var session: SessionID?
    /// What the rule saw: free text in schema 1, structured fields in schema 2.
    public var finding: SuspicionFinding
    /// Schema 2: 12 random bytes, the IV context of this flag's personal fields (flags have
    /// no other value unique under the user's key). Empty in schema 1.
    public var nonce: [UInt8]

    /// Schema 1: a free-text detail (which may name a device or an address in clear).
    public init(rule: SuspicionRule, session: SessionID?, detail: String) {
        self.rule = rule; self.session = session; finding = .text(detail); nonce = []
    }

    /// Schema 2: structured fields, the personal ones sealed under `nonce`.
    public init(session: SessionID?, nonce: [UInt8], finding: SuspicionFinding) {
        self.rule = finding.rule ?? .newDevice; self.session = session; self.finding = finding; self.nonce = nonce
    }

    /// Schema 1's free text; nil for a structured (schema 2) finding.
    public var detail: String? { if case let .text(t) = finding { t } else { nil } }

    /// The length of ``nonce`` in schema 2.
    public static let nonceLength = 12
}

/// What a suspicious-activity rule saw.
public enum SuspicionFinding: Sendable, Equatable {
    /// Schema 1: free text.
    case text(String)
    /// A login from a device the user never used before.
    case newDevice(label: PersonalText, userAgent: PersonalText)
    /// A refresh from another network than the session's last address.
    case networkChange(ip: PersonalAddress, previous: PersonalAddress)
    /// A login that left the user with more active sessions than the threshold.
    case tooManySessions(active: UInt32, threshold: UInt32)
    /// A stale refresh token was presented.
    case refreshReuse(classification: ReuseClassification, presented: UInt32, current: UInt32, ip: PersonalAddress)

    /// The rule a structured finding belongs to (nil for free text, which names none).
    public var rule: SuspicionRule? {
        switch self {
        case .text: nil
        case .newDevice: .newDevice
        case .networkChange: .networkChange
        case .tooManySessions: .tooManySessions
        case .refreshReuse: .refreshReuse
        }
    }
}

/// The user's data key was deleted in the same transaction as this event: their personal
/// fields are erased from every schema 2 event, and the id is retired (no new login).
public struct UserForgotten: Sendable, Equatable {
    /// Who asked for the erasure, e.g. "admin:jo" or "user".
    public var actor: String
    public init(actor: String) { self.actor = actor }
}

public struct APIKeyCreated: Sendable, Equatable {
    /// The public half of the key, shown in listings and logs.
    public var keyID: String
    /// Scope names, e.g. `sessions:write`.
    public var scopes: [String]
    public var label: String
    /// SHA-256 of the secret; the secret itself is never recorded.
    public var secretHash: SHA256Digest
    public init(keyID: String, scopes: [String], label: String, secretHash: SHA256Digest) {
        self.keyID = keyID; self.scopes = scopes; self.label = label; self.secretHash = secretHash
    }
}

public struct APIKeyRevoked: Sendable, Equatable {
    public var keyID: String
    public init(keyID: String) { self.keyID = keyID }
}
