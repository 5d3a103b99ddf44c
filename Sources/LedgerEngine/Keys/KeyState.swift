import LedgerCodec
import LedgerLog
import LedgerTokens

/// The signing keys' lifecycle, derived only from key events: which keys are published,
/// which one signs, and when each stopped signing.
public struct KeyState: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let key: VerificationKey
        public let addedAt: Timestamp
        /// When it became the signing key.
        public var activatedAt: Timestamp?
        /// When a newer key took over signing; tokens it signed live at most one access-token lifetime more.
        public var deactivatedAt: Timestamp?
        public var retiredAt: Timestamp?
        public var isPublished: Bool { retiredAt == nil }
        /// Published and waiting to sign (see ``KeyState/pendingKid``).
        public var isPending: Bool { isPublished && activatedAt == nil }
    }

    public private(set) var entries: [String: Entry] = [:]
    /// The key that signs new access tokens.
    public private(set) var activeKid: String?

    public init() {}

    /// Applies one event; events of other kinds are ignored. A key event that does not fit
    /// (unknown kid, unreadable JWK) is ignored too: replay must never stop on one record.
    public mutating func apply(_ event: AuthEvent, at time: Timestamp) {
        switch event {
        case let .signingKeyAdded(e):
            guard entries[e.kid] == nil,
                  let json = try? JSONParser.parse(e.publicJWK),
                  let key = try? VerificationKey(jwk: json), key.algorithm.rawValue == e.algorithm else { return }
            entries[e.kid] = Entry(key: key.withKID(e.kid), addedAt: time)
        case let .signingKeyActivated(e):
            guard entries[e.kid]?.isPublished == true else { return }
            if let previous = activeKid, previous != e.kid { entries[previous]?.deactivatedAt = time }
            entries[e.kid]?.activatedAt = time
            activeKid = e.kid
        case let .signingKeyRetired(e):
            guard e.kid != activeKid else { return }
            entries[e.kid]?.retiredAt = time
        default:
            return
        }
    }

    /// The key lifecycle recorded in `log`: only key events are read, through the log's
    /// index of records without a user (no scan of the whole log).
    public static func replay(_ log: EventLog) throws -> KeyState {
        var state = KeyState()
        try log.scanGlobal { view in
            if let type = EventType(rawValue: view.type), !type.belongsToUser {
                state.apply(try AuthEvent(decoding: view), at: view.timestamp)
            }
            return true
        }
        return state
    }

    /// The key published ahead of signing: added, not yet activated. There is at most one:
    /// ``KeyRing/rotate(algorithm:immediately:)`` starts no second rotation while one waits.
    public var pendingKid: String? {
        entries.filter { $0.key != activeKid && $0.value.isPending }.min { $0.value.addedAt < $1.value.addedAt }?.key
    }

    /// Every published (not retired) key.
    public var jwks: JWKS { JWKS(entries.values.filter(\.isPublished).map(\.key)) }

    /// Keys that no longer sign and that no verifier can need by `now` (see
    /// ``Entry/retirementTime(longestTokenLifetimeSeconds:leewaySeconds:)``).
    public func retirable(now: Timestamp, longestTokenLifetimeSeconds: Int64, leewaySeconds: Int64) -> [String] {
        entries.filter { kid, e in
            // A pending key has signed nothing yet: it waits for its activation, not retirement.
            kid != activeKid && e.isPublished && !e.isPending
                && e.retirementTime(longestTokenLifetimeSeconds: longestTokenLifetimeSeconds, leewaySeconds: leewaySeconds) <= now
        }.keys.sorted()
    }
}

extension KeyState.Entry {
    /// The first instant at which no verifier accepts any token this key signed.
    ///
    /// A token's `exp` is whole seconds: floor(issue time) + its session's access-token
    /// lifetime, and a verifier accepts it while floor(now) ≤ exp + leeway. The key stopped
    /// signing when the new key's events were committed (D), but the engine switches to the
    /// new issuer just after that commit: a token dated a moment after D (in D's second or,
    /// across a second boundary, the next) may still carry this key. So the last token this
    /// key signed stops verifying by floor(D) + 1 + lifetime + leeway + 1. Comparing
    /// microsecond times against D + lifetime + leeway instead would retire the key early.
    /// - Parameter longestTokenLifetimeSeconds: the longest access-token lifetime any
    ///   session could have minted with this key, not the lifetime configured today.
    public func retirementTime(longestTokenLifetimeSeconds: Int64, leewaySeconds: Int64) -> Timestamp {
        Timestamp(seconds: (deactivatedAt ?? addedAt).seconds + 1 + longestTokenLifetimeSeconds + leewaySeconds + 1)
    }
}
