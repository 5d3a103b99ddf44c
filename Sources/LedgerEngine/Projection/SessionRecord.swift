import LedgerEvents
import LedgerLog

/// One session as the projection knows it. Built only from events.
public struct SessionRecord: Sendable, Equatable {
    public let id: SessionID
    public let user: String
    /// The device's label and user agent as recorded at login (its address at login is in
    /// the log; the projection keeps the last one, ``lastIP``).
    public let device: Device
    public let lifetimes: SessionLifetimes
    public let createdAt: Timestamp
    /// The last refresh (or the login).
    public internal(set) var lastSeenAt: Timestamp
    /// The address of the last refresh (or the login).
    public internal(set) var lastIP: IPAddress
    /// The generation of the newest refresh token issued for this session.
    public internal(set) var generation: UInt32
    /// When that generation was issued.
    public internal(set) var rotatedAt: Timestamp

    /// The moment the session stops being usable unless refreshed: the earliest of the
    /// absolute cap, the refresh token's expiry and the inactivity timeout.
    public var expiresAt: Timestamp {
        min(createdAt.adding(seconds: Int64(lifetimes.absolute)),
            rotatedAt.adding(seconds: Int64(lifetimes.refreshToken)),
            lastSeenAt.adding(seconds: Int64(lifetimes.idleTimeout)))
    }

    /// Whether the session is usable at `now` (expiry needs no event: time alone ends it).
    public func isActive(at now: Timestamp) -> Bool { now < expiresAt }
}

/// A user's standing as the projection knows it.
struct UserRecord: Sendable, Equatable {
    /// Sessions not ended, revoked or pruned as expired, oldest first.
    var sessions: [SessionID] = []
    var banned = false
    /// Fingerprints of devices the user has logged in from (for the new-device rule).
    var devices: [UInt64] = []
    var isEmpty: Bool { sessions.isEmpty && !banned && devices.isEmpty }
}

extension Device {
    /// A stable 64-bit fingerprint of label and user agent (FNV-1a: stable across runs,
    /// unlike Swift's seeded `Hasher`).
    var fingerprint: UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        var label = label, userAgent = userAgent
        label.withUTF8 { for b in $0 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        h = (h ^ 0xff) &* 0x100_0000_01b3
        userAgent.withUTF8 { for b in $0 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 } }
        return h
    }
}
