import LedgerCrypto
import LedgerEvents
import LedgerLog

/// The in-memory state derived from the log: sessions, users, revocations. Changed only by
/// applying events (``ProjectionStore/apply(_:user:at:revocationSlackSeconds:)``) and by
/// pruning at event times, so a rebuild from the log reproduces it exactly.
struct Projection: ProjectionStore, Sendable {
    private(set) var sessions: [SessionID: SessionRecord] = [:]
    private(set) var users: [String: UserRecord] = [:]
    private(set) var revoked = RevocationSet()
    private var expiry = ExpiryQueue()
    /// The last log position applied.
    var position: UInt64 = 0
    /// The time of the last applied event: pruning has run up to here.
    private(set) var time = Timestamp(microseconds: 0)
    let revocationSlackSeconds: Int64

    init(revocationSlackSeconds: Int64) { self.revocationSlackSeconds = revocationSlackSeconds }

    func session(_ id: SessionID) -> SessionRecord? { sessions[id] }
    mutating func setSession(_ id: SessionID, _ record: SessionRecord?) { sessions[id] = record }
    func user(_ name: String) -> UserRecord? { users[name] }
    mutating func setUser(_ name: String, _ record: UserRecord?) { users[name] = record }
    func revokedUntil(_ id: SessionID) -> Timestamp? { revoked.until[id] }
    mutating func markRevoked(_ id: SessionID, until t: Timestamp) { revoked.insert(id, until: t) }
    mutating func sessionStarted(_ record: SessionRecord) { expiry.push(record.expiresAt, record.id) }

    /// Applies one logged event: first prunes what expired before its time, then applies it.
    mutating func apply(_ event: AuthEvent, user: String?, at t: Timestamp, position: UInt64) {
        self.position = position
        // Key events are the key ring's; the live writer never applies them here, so replay
        // must not prune at their times either.
        guard event.belongsToUser else { return }
        prune(before: t)
        apply(event, user: user, at: t, revocationSlackSeconds: revocationSlackSeconds)
        self.position = position
    }

    /// Drops sessions that expired and revocations that no longer matter, as of `t`.
    /// Driven by event times only, so replay prunes at exactly the same points.
    mutating func prune(before t: Timestamp) {
        guard t > time else { return }
        time = t
        revoked.prune(before: t)
        while let (due, id) = expiry.peek, due <= t {
            _ = expiry.pop()
            guard let s = sessions[id] else { continue }
            if s.expiresAt <= t {
                sessions[id] = nil
                removeFromUser(s)
            } else {
                expiry.push(s.expiresAt, id)  // refreshed since it was queued
            }
        }
    }

    /// Installs state read from a snapshot; the expiry queue is rebuilt from the sessions.
    mutating func restore(sessions: [SessionID: SessionRecord], users: [String: UserRecord],
                          revoked: [(SessionID, Timestamp)], time: Timestamp, position: UInt64) {
        self.sessions = sessions
        self.users = users
        self.revoked = RevocationSet(pending: revoked)
        self.time = time
        self.position = position
        expiry = ExpiryQueue()
        for s in sessions.values { expiry.push(s.expiresAt, s.id) }
    }

    var activeSessionCount: Int { sessions.count }
    var revokedCount: Int { revoked.count }
    var userCount: Int { users.count }

    /// A stable SHA-256 of the whole state (sessions, users, revocations), independent of
    /// dictionary order and of Swift's per-process hash seeds.
    var digest: SHA256Digest {
        var w = ByteWriter(capacity: 1 << 16)
        w.u64(UInt64(sessions.count))
        for id in sessions.keys.sorted() {
            let s = sessions[id]!
            w.sessionID(id)
            w.string(s.user)
            w.string(s.device.label)
            w.string(s.device.userAgent)
            w.ip(s.device.ip)
            w.u32(s.lifetimes.accessToken); w.u32(s.lifetimes.refreshToken)
            w.u32(s.lifetimes.idleTimeout); w.u32(s.lifetimes.absolute)
            w.i64(s.createdAt.microseconds); w.i64(s.lastSeenAt.microseconds); w.i64(s.rotatedAt.microseconds)
            w.ip(s.lastIP)
            w.u32(s.generation)
        }
        w.u64(UInt64(users.count))
        for name in users.keys.sorted() {
            let u = users[name]!
            w.string(name)
            w.u8(u.banned ? 1 : 0)
            w.u64(UInt64(u.sessions.count))
            for id in u.sessions { w.sessionID(id) }
            w.u64(UInt64(u.devices.count))
            for d in u.devices { w.u64(d) }
        }
        w.u64(UInt64(revoked.until.count))
        for id in revoked.until.keys.sorted() {
            w.sessionID(id)
            w.i64(revoked.until[id]!.microseconds)
        }
        return SHA256.hash(w.bytes)
    }
}

/// The state a batch of commands is validated against: the committed projection (an
/// unchanging snapshot) plus the effects of earlier commands in the same batch. Nothing here
/// becomes visible unless the batch commits, and then only by applying the same events to
/// the live projection.
struct BatchOverlay: ProjectionStore {
    let base: Projection
    private var sessions: [SessionID: SessionRecord?] = [:]
    private var users: [String: UserRecord?] = [:]
    private var revoked: [SessionID: Timestamp] = [:]

    init(base: Projection) { self.base = base }

    func session(_ id: SessionID) -> SessionRecord? {
        if let changed = sessions[id] { return changed }
        return base.session(id)
    }
    mutating func setSession(_ id: SessionID, _ record: SessionRecord?) { sessions[id] = .some(record) }
    func user(_ name: String) -> UserRecord? {
        if let changed = users[name] { return changed }
        return base.user(name)
    }
    mutating func setUser(_ name: String, _ record: UserRecord?) { users[name] = .some(record) }
    func revokedUntil(_ id: SessionID) -> Timestamp? { revoked[id] ?? base.revokedUntil(id) }
    mutating func markRevoked(_ id: SessionID, until t: Timestamp) { revoked[id] = max(revoked[id] ?? t, t) }
    mutating func sessionStarted(_ record: SessionRecord) {}
}
