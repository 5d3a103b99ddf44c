import LedgerCodec
import LedgerLog

/// Read and write access to projection state. Two stores exist: the live ``Projection``
/// and the ``BatchOverlay`` a group commit validates against. Both are changed only by
/// ``apply(_:user:at:position:revocationSlackSeconds:)``, so live appends and replay share one code path.
protocol ProjectionStore {
    func session(_ id: SessionID) -> SessionRecord?
    func user(_ name: String) -> UserRecord?
    func revokedUntil(_ id: SessionID) -> Timestamp?
    mutating func markRevoked(_ id: SessionID, until: Timestamp)
    /// Records a rotation in place; nothing if the session does not exist.
    mutating func rotate(_ id: SessionID, generation: UInt32, at t: Timestamp, ip: PersonalAddress)
    /// Changes a user in place, creating it if needed and dropping it once empty.
    mutating func modifyUser(_ name: String, _ body: (inout UserRecord) -> Void)
    /// Adds a new session to the active set and to its user's sessions and devices.
    /// `fingerprint` is the session's device fingerprint; `userHash`, if known, the
    /// ``StringTable/hash(_:)`` of its user.
    mutating func startSession(_ record: SessionRecord, fingerprint: UInt64, userHash: UInt64?)
    /// Takes a session out of the active set and its user's sessions; returns its
    /// lifetimes and expiry (µs), or nil if it was not held.
    mutating func endSession(_ id: SessionID) -> (lifetimes: SessionLifetimes, expiresAt: Int64)?
}

extension ProjectionStore {
    /// Applies one event. Events that refer to unknown sessions or users change nothing:
    /// replay never stops on a record.
    /// - Parameter revocationSlackSeconds: how long past the last access token's expiry a
    ///   revoked session is remembered (the verifiers' clock leeway).
    /// - Parameter position: the event's log position (0 while a batch is being decided).
    /// - Parameter userHash: ``StringTable/hash(_:)`` of `user`, if the caller has it (replay
    ///   works it out on its reading thread).
    mutating func apply(_ event: AuthEvent, user: String?, userHash: UInt64? = nil, at t: Timestamp, position: UInt64,
                        revocationSlackSeconds: Int64) {
        switch event {
        case let .sessionStarted(e):
            guard let user, session(e.session) == nil else { return }
            // The login address lives on in the log and as the first `lastIP`. A sealed
            // login keeps only its position and keyed fingerprint (see ``SessionRecord/device``).
            var device: Device?
            var fingerprint = e.deviceFingerprint ?? 0
            if e.deviceFingerprint == nil {
                let d = Device(label: e.label.text ?? "", userAgent: e.userAgent.text ?? "", ip: .unknown)
                device = d
                fingerprint = d.fingerprint
            }
            startSession(SessionRecord(id: e.session, user: user, device: device, loginPosition: position, lifetimes: e.lifetimes,
                                       createdAt: t, lastIP: e.ip, generation: 1, rotatedAt: t),
                         fingerprint: fingerprint, userHash: userHash)
        case let .refreshRotated(e):
            rotate(e.session, generation: e.generation, at: t, ip: e.ip)
        case let .sessionEnded(e):
            end(e.session, at: t, until: e.refuseUntil, slack: revocationSlackSeconds)
        case let .sessionRevoked(e):
            end(e.session, at: t, until: e.refuseUntil, slack: revocationSlackSeconds)
        case let .userSessionsRevoked(e):
            if let sessions = e.sessions {
                for s in sessions { end(s.session, at: t, until: s.refuseUntil, slack: revocationSlackSeconds) }
            } else {
                // Schema 1 names no sessions: every session the user then held.
                guard let user, let u = self.user(user) else { return }
                for id in u.sessions where id != e.except { end(id, at: t, until: nil, slack: revocationSlackSeconds) }
            }
        case .userBanned:
            guard let user else { return }
            modifyUser(user) { $0.banned = true }
        case .userUnbanned:
            guard let user, self.user(user) != nil else { return }
            modifyUser(user) { $0.banned = false }
        case .userForgotten:
            // The engine ends every session before it forgets a user; any still held (an
            // imported log) end here. The device fingerprints go too: a schema 1 one is an
            // unkeyed hash of the clear device, which could be tested against guesses.
            guard let user else { return }
            for id in self.user(user)?.sessions ?? [] { end(id, at: t, until: nil, slack: revocationSlackSeconds) }
            modifyUser(user) { $0.forgotten = true; $0.devices = [] }
        case .refreshReuseDetected, .suspiciousActivity, .signingKeyAdded, .signingKeyActivated, .signingKeyRetired,
             .apiKeyCreated, .apiKeyRevoked:
            // Reuse is acted on by the session.revoked event that follows it; flags, key
            // changes and API keys hold no session state.
            return
        }
    }

    /// Ends a session: it leaves the active set, and its access tokens are refused until
    /// the last one has expired.
    /// `until`: the refuse-until time the event carries (schema 2), applied as followers
    /// apply it; schema 1 events carry none, and it is worked out from the session.
    private mutating func end(_ id: SessionID, at t: Timestamp, until: Timestamp?, slack: Int64) {
        let ended = endSession(id)
        if let until {
            markRevoked(id, until: until)
        } else if let ended {
            markRevoked(id, until: ended.lifetimes.refuseTokensUntil(endedAt: t, expiresAt: ended.expiresAt, leewaySeconds: slack))
        }
    }

    /// Where `id` stands at `now`; `slack` is the verifiers' leeway.
    func standing(_ id: SessionID, at now: Timestamp, slack: Int64) -> SessionStanding {
        if let s = session(id) {
            if s.isActive(at: now) { return .active(s) }
            let forgetAt = s.lifetimes.refuseTokensUntil(endedAt: s.expiresAt, expiresAt: s.expiresAt.microseconds, leewaySeconds: slack)
            return now < forgetAt ? .expired(s) : .unknown
        }
        if let until = revokedUntil(id), now < until { return .ended }
        return .unknown
    }

    /// The user's sessions that are usable at `now`, oldest first.
    func activeSessions(of user: String, at now: Timestamp) -> [SessionRecord] {
        (self.user(user)?.sessions ?? []).compactMap { session($0) }.filter { $0.isActive(at: now) }
    }
}
