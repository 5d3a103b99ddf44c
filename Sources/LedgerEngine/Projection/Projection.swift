import LedgerCrypto
import LedgerCodec
import LedgerLog

/// The in-memory state derived from the log: sessions, users, revocations. Changed only by
/// applying events (``ProjectionStore/apply(_:user:userHash:at:position:revocationSlackSeconds:)``) and by
/// pruning at event times, so a rebuild from the log reproduces it exactly.
struct Projection: ProjectionStore, Sendable {
    /// Live sessions, packed (see ``PackedSession``); expired ones linger until the next sweep.
    private(set) var sessions = SessionTable()
    /// Users, by the number of their interned name.
    private(set) var users = UserTable()
    /// Ended sessions whose access tokens are refused: the same type, changed by the same
    /// events, that followers of the log keep.
    private(set) var revoked = RevocationState()
    private(set) var names = StringTable()
    private(set) var devices = DeviceTable()
    /// The last log position applied, and that record's chain hash.
    var position: UInt64 = 0
    var chainHash = SHA256Digest.zero
    /// The time of the last applied event: pruning has run up to here.
    private(set) var time = Timestamp(microseconds: 0)
    /// The event time at which expired sessions are next swept from memory.
    private(set) var nextSweep = Timestamp(microseconds: 0)
    let revocationSlackSeconds: Int64
    /// How often (in event time) expired sessions are swept from memory.
    static let sweepIntervalSeconds: Int64 = 3_600

    init(revocationSlackSeconds: Int64) { self.revocationSlackSeconds = revocationSlackSeconds }

    func record(_ id: SessionID, _ p: PackedSession) -> SessionRecord {
        SessionRecord(id: id, user: names[p.user], device: p.device == PackedSession.sealedDevice ? nil : devices[device: p.device],
                      loginPosition: p.login, lifetimes: devices[lifetimes: p.lifetimes], createdAt: Timestamp(microseconds: p.createdAt),
                      lastIP: p.ipSealed ? .sealed(p.lastIP.address) : .clear(p.lastIP.address),
                      generation: p.generation, rotatedAt: Timestamp(microseconds: p.rotatedAt))
    }

    func session(_ id: SessionID) -> SessionRecord? { sessions[id].map { record(id, $0) } }

    // One hash of the name per login (in replay, worked out on the reading thread); none
    // per logout, revocation or expiry.
    mutating func startSession(_ r: SessionRecord, fingerprint: UInt64, userHash: UInt64?) {
        let user = names.intern(r.user, hash: userHash)
        let device = r.device.map { devices.intern($0, fingerprint: fingerprint) } ?? PackedSession.sealedDevice
        sessions[r.id] = PackedSession(createdAt: r.createdAt.microseconds, rotatedAt: r.rotatedAt.microseconds, lastIP: PackedIP(r.lastIP.stored),
                                       login: r.loginPosition, user: user, device: device,
                                       generation: r.generation, lifetimes: devices.intern(r.lifetimes), ipSealed: r.lastIP.isSealed)
        users.modify(user) { $0.add(session: r.id, device: fingerprint) }
    }

    mutating func endSession(_ id: SessionID) -> (lifetimes: SessionLifetimes, expiresAt: Int64)? {
        guard let p = sessions.removeValue(forKey: id) else { return nil }
        users.modify(p.user) { $0.remove(session: id) }
        let lifetimes = devices[lifetimes: p.lifetimes]
        return (lifetimes, lifetimes.expiry(createdAt: p.createdAt, rotatedAt: p.rotatedAt))
    }

    func user(_ name: String) -> UserRecord? { names.lookup(name).flatMap { users[$0] } }
    func revokedUntil(_ id: SessionID) -> Timestamp? { revoked.refusedUntil(id) }
    mutating func markRevoked(_ id: SessionID, until t: Timestamp) { revoked.insert(id, until: t) }
    // In place, through `values[index]` (the optional subscript would move the value out
    // and back): a rotation touches 32 bytes and retains nothing.
    mutating func rotate(_ id: SessionID, generation: UInt32, at t: Timestamp, ip: PersonalAddress) {
        sessions.update(id) { s in
            s.generation = generation
            s.rotatedAt = t.microseconds
            s.lastIP = PackedIP(ip.stored)
            s.ipSealed = ip.isSealed
        }
    }

    mutating func modifyUser(_ name: String, _ body: (inout UserRecord) -> Void) {
        users.modify(names.intern(name), body)
    }

    /// Applies one logged event: first prunes what expired before its time, then applies it.
    /// `userHash`: ``StringTable/hash(_:)`` of `user`, if the caller has it.
    mutating func apply(_ event: AuthEvent, user: String?, userHash: UInt64? = nil, at t: Timestamp, position: UInt64) {
        self.position = position
        // Key events are the key ring's; the live writer never applies them here, so replay
        // must not prune at their times either.
        guard event.belongsToUser else { return }
        prune(before: t)
        apply(event, user: user, userHash: userHash, at: t, position: position, revocationSlackSeconds: revocationSlackSeconds)
    }

    /// The first stage of replay's prefetching, a few records ahead of applying `entry`:
    /// the session slot it reads first (rotations and logouts, the bulk of any log, and
    /// logins) and a login's name slot.
    /// (`mutating` only so that a call through a captured variable does not copy the
    /// whole projection, retaining every table, on each record.)
    @inline(__always)
    mutating func prefetch(_ entry: ReplayBatch.Entry) {
        if let id = entry.session { sessions.prefetch(id) }
        if let hash = entry.userHash { names.prefetch(hash: hash) }
    }

    /// The second stage, nearer: the slots are in cache by then, so reading them costs
    /// little, and the user record the record changes (a login's, or the owner of a
    /// session a record ends) starts loading. Rotations touch no user.
    @inline(__always)
    mutating func prefetchUser(_ entry: ReplayBatch.Entry) {
        guard entry.other >= 0 else { return }
        if let hash = entry.userHash {
            if let user = names.candidate(hash: hash) { users.prefetch(user) }
        } else if let id = entry.session, let user = sessions[id]?.user {
            users.prefetch(user)
        }
    }

    /// Drops revocations that no longer matter, and, once per sweep interval of event time,
    /// sessions that have expired. Driven by event times only, so replay prunes at exactly
    /// the same points as the live writer.
    mutating func prune(before t: Timestamp) {
        guard t > time else { return }
        time = t
        revoked.prune(before: t)
        guard t >= nextSweep else { return }
        nextSweep = t.adding(seconds: Self.sweepIntervalSeconds)
        // Only sessions none of whose access tokens can still verify: until then an expired
        // session stays held, so ending it (logout, revocation, ban) still records its
        // revocation and its tokens are refused whatever the sweep did.
        let forgotten = sessions.filter { canForget($0.value, at: t) }
        for (id, _) in forgotten { _ = endSession(id) }
    }

    func isActive(_ p: PackedSession, at t: Timestamp) -> Bool {
        t.microseconds < devices[lifetimes: p.lifetimes].expiry(createdAt: p.createdAt, rotatedAt: p.rotatedAt)
    }

    private func canForget(_ p: PackedSession, at t: Timestamp) -> Bool {
        let lifetimes = devices[lifetimes: p.lifetimes]
        let expiry = lifetimes.expiry(createdAt: p.createdAt, rotatedAt: p.rotatedAt)
        guard t.microseconds >= expiry else { return false }
        return t >= lifetimes.refuseTokensUntil(endedAt: Timestamp(microseconds: expiry), expiresAt: expiry, leewaySeconds: revocationSlackSeconds)
    }

    /// Installs state read from a snapshot.
    mutating func restore(sessions: SessionTable, users: [(name: String, record: UserRecord)], names: StringTable, devices: DeviceTable,
                          revoked: [(SessionID, Timestamp)], time: Timestamp, nextSweep: Timestamp, position: UInt64) {
        self.sessions = sessions
        self.names = names
        self.users = UserTable()
        for (name, record) in users { self.users.modify(self.names.intern(name)) { $0 = record } }
        self.devices = devices
        self.revoked = RevocationState(entries: revoked)
        self.time = time
        self.nextSweep = nextSweep
        self.position = position
    }

    var activeSessionCount: Int { sessions.count }
    var revokedCount: Int { revoked.count }
    var userCount: Int { users.count }

    /// A stable SHA-256 of the whole state (sessions, users, revocations), independent of
    /// dictionary order, interning order and Swift's per-process hash seeds.
    var digest: SHA256Digest {
        var w = ByteWriter(capacity: 1 << 16)
        w.u64(UInt64(sessions.count))
        for id in sessions.keys.sorted() {
            let s = record(id, sessions[id]!)
            w.sessionID(id)
            w.string(s.user)
            if let d = s.device {
                w.u8(1); w.string(d.label); w.string(d.userAgent)
            } else {
                w.u8(2); w.u64(s.loginPosition)
            }
            w.u32(s.lifetimes.accessToken); w.u32(s.lifetimes.refreshToken)
            w.u32(s.lifetimes.idleTimeout); w.u32(s.lifetimes.absolute)
            w.i64(s.createdAt.microseconds); w.i64(s.rotatedAt.microseconds)
            w.u8(s.lastIP.isSealed ? 1 : 0); w.ip(s.lastIP.stored)
            w.u32(s.generation)
        }
        w.u64(UInt64(users.count))
        for (name, u) in users.nonEmpty.map({ (names[$0.id], $0.record) }).sorted(by: { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }) {
            w.string(name)
            w.u8((u.banned ? 1 : 0) | (u.forgotten ? 2 : 0))
            w.u64(UInt64(u.sessions.count))
            for id in u.sessions { w.sessionID(id) }
            w.u64(UInt64(u.devices.count))
            for d in u.devices { w.u64(d) }
        }
        let held = revoked.refused(at: Timestamp(microseconds: .min))
        w.u64(UInt64(held.count))
        for id in held.keys.sorted() {
            w.sessionID(id)
            w.i64(held[id]!.microseconds)
        }
        w.i64(nextSweep.microseconds)
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
    private var users: [ExactString: UserRecord?] = [:]
    private var revoked: [SessionID: Timestamp] = [:]

    init(base: Projection) { self.base = base }

    func session(_ id: SessionID) -> SessionRecord? {
        if let changed = sessions[id] { return changed }
        return base.session(id)
    }
    func user(_ name: String) -> UserRecord? {
        if let changed = users[ExactString(name)] { return changed }
        return base.user(name)
    }
    func revokedUntil(_ id: SessionID) -> Timestamp? { revoked[id] ?? base.revokedUntil(id) }
    mutating func markRevoked(_ id: SessionID, until t: Timestamp) { revoked[id] = max(revoked[id] ?? t, t) }
    mutating func rotate(_ id: SessionID, generation: UInt32, at t: Timestamp, ip: PersonalAddress) {
        guard var s = session(id) else { return }
        s.generation = generation
        s.rotatedAt = t
        s.lastIP = ip
        sessions[id] = .some(s)
    }

    mutating func modifyUser(_ name: String, _ body: (inout UserRecord) -> Void) {
        var u = user(name) ?? UserRecord()
        body(&u)
        users[ExactString(name)] = .some(u.isEmpty ? nil : u)
    }

    mutating func startSession(_ record: SessionRecord, fingerprint: UInt64, userHash: UInt64?) {
        sessions[record.id] = .some(record)
        modifyUser(record.user) { $0.add(session: record.id, device: fingerprint) }
    }

    mutating func endSession(_ id: SessionID) -> (lifetimes: SessionLifetimes, expiresAt: Int64)? {
        guard let s = session(id) else { return nil }
        sessions[id] = .some(nil)
        modifyUser(s.user) { $0.remove(session: id) }
        return (s.lifetimes, s.expiresAt.microseconds)
    }
}
