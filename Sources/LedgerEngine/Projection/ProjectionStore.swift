import LedgerEvents
import LedgerLog

/// Read and write access to projection state. Two stores exist: the live ``Projection``
/// and the ``BatchOverlay`` a group commit validates against. Both are changed only by
/// ``apply(_:user:at:revocationSlackSeconds:)``, so live appends and replay share one code path.
protocol ProjectionStore {
    func session(_ id: SessionID) -> SessionRecord?
    mutating func setSession(_ id: SessionID, _ record: SessionRecord?)
    func user(_ name: String) -> UserRecord?
    mutating func setUser(_ name: String, _ record: UserRecord?)
    func revokedUntil(_ id: SessionID) -> Timestamp?
    mutating func markRevoked(_ id: SessionID, until: Timestamp)
    /// Called when a session first appears, so a store can schedule its expiry.
    mutating func sessionStarted(_ record: SessionRecord)
}

extension ProjectionStore {
    /// Applies one event. Events that refer to unknown sessions or users change nothing:
    /// replay never stops on a record.
    /// - Parameter revocationSlackSeconds: how long past the last access token's expiry a
    ///   revoked session is remembered (the verifiers' clock leeway).
    mutating func apply(_ event: AuthEvent, user: String?, at t: Timestamp, revocationSlackSeconds: Int64) {
        switch event {
        case let .sessionStarted(e):
            guard let user, session(e.session) == nil else { return }
            let record = SessionRecord(id: e.session, user: user, device: e.device, lifetimes: e.lifetimes, createdAt: t,
                                       lastSeenAt: t, lastIP: e.device.ip, generation: 1, rotatedAt: t)
            setSession(e.session, record)
            sessionStarted(record)
            var u = self.user(user) ?? UserRecord()
            u.sessions.append(e.session)
            let fp = e.device.fingerprint
            if !u.devices.contains(fp) { u.devices.append(fp) }
            setUser(user, u)
        case let .refreshRotated(e):
            guard var s = session(e.session) else { return }
            s.generation = e.generation
            s.rotatedAt = t
            s.lastSeenAt = t
            s.lastIP = e.ip
            setSession(e.session, s)
        case let .sessionEnded(e):
            end(e.session, at: t, slack: revocationSlackSeconds)
        case let .sessionRevoked(e):
            end(e.session, at: t, slack: revocationSlackSeconds)
        case let .userSessionsRevoked(e):
            guard let user, let u = self.user(user) else { return }
            for id in u.sessions where id != e.except { end(id, at: t, slack: revocationSlackSeconds) }
        case .userBanned:
            guard let user else { return }
            var u = self.user(user) ?? UserRecord()
            u.banned = true
            setUser(user, u)
        case .userUnbanned:
            guard let user, var u = self.user(user) else { return }
            u.banned = false
            setUser(user, u.isEmpty ? nil : u)
        case .refreshReuseDetected, .suspiciousActivity, .signingKeyAdded, .signingKeyActivated, .signingKeyRetired:
            // Reuse is acted on by the session.revoked event that follows it; flags and
            // key changes hold no session state.
            return
        }
    }

    /// Ends a session: it leaves the active set, and its access tokens are refused until
    /// the last one has expired.
    private mutating func end(_ id: SessionID, at t: Timestamp, slack: Int64) {
        guard let s = session(id) else { return }
        setSession(id, nil)
        removeFromUser(s)
        markRevoked(id, until: t.adding(seconds: Int64(s.lifetimes.accessToken) + slack))
    }

    mutating func removeFromUser(_ s: SessionRecord) {
        guard var u = user(s.user) else { return }
        u.sessions.removeAll { $0 == s.id }
        setUser(s.user, u.isEmpty ? nil : u)
    }

    /// The user's sessions that are usable at `now`, oldest first.
    func activeSessions(of user: String, at now: Timestamp) -> [SessionRecord] {
        (self.user(user)?.sessions ?? []).compactMap { session($0) }.filter { $0.isActive(at: now) }
    }
}
