import LedgerCodec
import LedgerLog

/// One session as the projection knows it. Built only from events.
public struct SessionRecord: Sendable, Equatable {
    public let id: SessionID
    public let user: String
    /// The device's label and user agent, for a session started by a schema 1 (clear)
    /// record; nil for a sealed login, whose label and user agent the projection does not
    /// hold: they are read from the login record (``loginPosition``) and revealed with the
    /// user's key when a session list asks, so that no personal field lies in memory or in
    /// a snapshot in clear, and replay needs no key.
    let device: Device?
    /// The log position of the session's `session.started` (0 in a batch not yet committed).
    let loginPosition: UInt64
    public let lifetimes: SessionLifetimes
    public let createdAt: Timestamp
    /// The address of the last refresh (or the login), as the log holds it: sealed since
    /// schema 2, revealed only for session lists and the network-change rule.
    public internal(set) var lastIP: PersonalAddress
    /// The generation of the newest refresh token issued for this session.
    public internal(set) var generation: UInt32
    /// When that generation was issued.
    public internal(set) var rotatedAt: Timestamp
    /// The last refresh (or the login): only a refresh reaches the engine, so this is the
    /// last rotation.
    public var lastSeenAt: Timestamp { rotatedAt }

    /// The moment the session stops being usable unless refreshed: the earliest of the
    /// absolute cap, the refresh token's expiry and the inactivity timeout.
    public var expiresAt: Timestamp {
        Timestamp(microseconds: lifetimes.expiry(createdAt: createdAt.microseconds, rotatedAt: rotatedAt.microseconds))
    }

    /// Whether the session is usable at `now` (expiry needs no event: time alone ends it).
    public func isActive(at now: Timestamp) -> Bool { now < expiresAt }
}

extension SessionLifetimes {
    /// When a session created and last rotated at these times (µs) stops being usable: the
    /// earliest of the absolute cap, the refresh token's expiry and the inactivity timeout.
    /// Saturating, so a damaged record cannot trap a replay.
    func expiry(createdAt: Int64, rotatedAt: Int64) -> Int64 {
        func plus(_ a: Int64, _ seconds: UInt32) -> Int64 {
            let (v, overflow) = a.addingReportingOverflow(Int64(seconds) * 1_000_000)
            return overflow ? (a < 0 ? .min : .max) : v
        }
        return min(plus(createdAt, absolute), plus(rotatedAt, min(refreshToken, idleTimeout)))
    }

    /// Until when access tokens of a session that ended at `endedAt` (or expired at
    /// `expiresAt`, whichever came first) must be refused.
    ///
    /// Tokens carry whole-second `exp` = ⌊issue time⌋ + lifetime, no token is issued after
    /// the session ended or expired, and a verifier accepts while ⌊now⌋ ≤ exp + leeway. So
    /// the last token that could verify stops at ⌊end⌋ + lifetime + leeway + 1 s; refusing
    /// until exactly then leaves no sub-second gap at either end.
    func refuseTokensUntil(endedAt: Timestamp, expiresAt: Int64, leewaySeconds: Int64) -> Timestamp {
        let end = min(endedAt, Timestamp(microseconds: expiresAt))
        return Timestamp(seconds: end.seconds + Int64(accessToken) + leewaySeconds + 1)
    }
}

/// What the engine knows of a session at a moment. Derived from the projection and the
/// time alone, never from when the sweep last ran, so every answer is the same before and
/// after a sweep (and after a replay).
enum SessionStanding: Equatable {
    /// Usable: it may refresh, and its access tokens verify.
    case active(SessionRecord)
    /// Expired (idle, refresh-token or absolute limit), while one of its access tokens could
    /// still be within its lifetime: refused, and still remembered.
    case expired(SessionRecord)
    /// Ended or revoked, while one of its access tokens could still be within its lifetime.
    case ended
    /// Never existed, or ended or expired so long ago that none of its tokens is valid.
    case unknown
}

/// A user's standing as the projection knows it.
struct UserRecord: Sendable, Equatable {
    /// Sessions not ended, revoked or pruned as expired, oldest first.
    var sessions: [SessionID] = []
    var banned = false
    /// Fingerprints of devices the user has logged in from (for the new-device rule).
    var devices: [UInt64] = []
    /// `user.forgotten` was applied: the id is retired.
    var forgotten = false
    var isEmpty: Bool { sessions.isEmpty && !banned && devices.isEmpty && !forgotten }
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
