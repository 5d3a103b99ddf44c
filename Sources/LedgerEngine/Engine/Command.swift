import LedgerEvents
import LedgerLog
import LedgerTokens

/// A state-changing request, decided by the writer against the committed state plus the
/// effects of earlier commands in the same batch.
enum Command: Sendable {
    case login(LoginRequest)
    case refresh(token: String, ip: IPAddress)
    case logout(SessionID)
    case logoutAll(user: String, except: SessionID?, reason: RevocationReason, actor: String)
    case revoke(SessionID, actor: String)
    case ban(user: String, actor: String, reason: String)
    case unban(user: String, actor: String)
}

/// What a command decided: events to append, and the answer once they are durable.
struct Decision {
    enum Answer: Sendable {
        /// Tokens are to be minted for this session at this generation (outside the writer),
        /// dated at the batch's time, so an access token never outlives the memory of a
        /// revocation committed after it.
        case tokens(SessionRecord, generation: UInt32, at: Timestamp)
        case done
        /// The command failed, but its events (e.g. a reuse revocation) are still recorded.
        case failed(EngineError)
    }
    var events: [(AuthEvent, String?)] = []
    var answer: Answer = .done
}

/// Turns commands into events. Pure: reads state through a ``ProjectionStore``, applies its
/// own events to that store so later commands in the batch see them, and never does I/O.
struct CommandDecider {
    let configuration: EngineConfiguration
    let refreshTokens: RefreshTokenCodec
    let now: Timestamp

    func decide<S: ProjectionStore>(_ command: Command, _ store: inout S) throws(EngineError) -> Decision {
        var d = Decision()
        func emit(_ event: AuthEvent, _ user: String?) {
            store.apply(event, user: user, at: now, revocationSlackSeconds: configuration.leewaySeconds)
            d.events.append((event, user))
        }
        switch command {
        case let .login(request):
            try Self.validate(request)
            let previous = store.user(request.user)
            if previous?.banned == true { throw EngineError(.userBanned, "user \(request.user) is banned") }
            let id = SessionID.random()
            emit(.sessionStarted(SessionStarted(session: id, device: request.device, lifetimes: configuration.lifetimes)), request.user)
            if configuration.rules.newDevice, let devices = previous?.devices, !devices.isEmpty,
               !devices.contains(request.device.fingerprint) {
                emit(.suspiciousActivity(SuspiciousActivity(rule: .newDevice, session: id,
                                                            detail: "first login from \"\(request.device.label)\" (\(request.device.userAgent))")), request.user)
            }
            var active = store.activeSessions(of: request.user, at: now)
            if let limit = configuration.maxSessionsPerUser.map({ max($0, 1) }), active.count > limit {
                for old in active.filter({ $0.id != id }).prefix(active.count - limit) {
                    emit(.sessionRevoked(SessionRevoked(session: old.id, reason: .sessionLimit, actor: "system")), request.user)
                }
                active = store.activeSessions(of: request.user, at: now)
            }
            if let threshold = configuration.rules.tooManySessions, active.count > threshold {
                emit(.suspiciousActivity(SuspiciousActivity(rule: .tooManySessions, session: id,
                                                            detail: "\(active.count) active sessions (threshold \(threshold))")), request.user)
            }
            d.answer = .tokens(store.session(id)!, generation: 1, at: now)

        case let .refresh(text, ip):
            let token: RefreshToken
            do { token = try refreshTokens.authenticate(text) } catch {
                // Forged or malformed: refused without a trace in the log.
                throw EngineError(.invalidRefreshToken, error.description)
            }
            let id = SessionID(high: token.sessionHigh, low: token.sessionLow)
            let s = try liveSession(id, store)
            let c = s.generation, p = token.generation
            // Any refresh from a new network is flagged, whether it rotates or is a retry.
            func flagNetworkChange() {
                if configuration.rules.networkChange, s.lastIP != .unknown, ip != .unknown, s.lastIP.network != ip.network {
                    emit(.suspiciousActivity(SuspiciousActivity(rule: .networkChange, session: id,
                                                                detail: "refresh from \(ip), last seen from \(s.lastIP)")), s.user)
                }
            }
            if p == c {
                emit(.refreshRotated(RefreshRotated(session: id, generation: c + 1, ip: ip)), s.user)
                flagNetworkChange()
                d.answer = .tokens(store.session(id)!, generation: c + 1, at: now)
            } else if p &+ 1 == c && now < s.rotatedAt.adding(seconds: configuration.graceWindowSeconds) {
                // A lost response or a concurrent tab: hand out the current token again.
                flagNetworkChange()
                d.answer = .tokens(s, generation: c, at: now)
            } else {
                let kind: ReuseClassification = p > c ? .orphanedBranch : (p &+ 1 == c ? .recentPredecessor : .staleLineage)
                emit(.refreshReuseDetected(RefreshReuseDetected(session: id, presentedGeneration: p, currentGeneration: c,
                                                                classification: kind, ip: ip)), s.user)
                emit(.sessionRevoked(SessionRevoked(session: id, reason: .reuseDetected, actor: "system")), s.user)
                if configuration.rules.refreshReuse {
                    emit(.suspiciousActivity(SuspiciousActivity(rule: .refreshReuse, session: id,
                                                                detail: "\(kind) token (generation \(p), current \(c)) from \(ip)")), s.user)
                }
                d.answer = .failed(EngineError(.refreshTokenReused(kind),
                                               "refresh token reuse detected (\(kind)); the session has been revoked"))
            }

        case let .logout(id):
            guard let s = store.session(id) else {
                if store.revokedUntil(id) != nil { return d }  // already ended: logging out twice is fine
                throw EngineError(.sessionNotFound, "no active session \(id)")
            }
            emit(.sessionEnded(SessionEnded(session: id)), s.user)

        case let .logoutAll(user, except, reason, actor):
            try Self.validateUser(user)
            emit(.userSessionsRevoked(UserSessionsRevoked(except: except, reason: reason, actor: actor)), user)

        case let .revoke(id, actor):
            guard let s = store.session(id) else {
                if store.revokedUntil(id) != nil { return d }
                throw EngineError(.sessionNotFound, "no active session \(id)")
            }
            emit(.sessionRevoked(SessionRevoked(session: id, reason: .admin, actor: actor)), s.user)

        case let .ban(user, actor, reason):
            try Self.validateUser(user)
            emit(.userBanned(UserBanned(actor: actor, reason: reason)), user)
            emit(.userSessionsRevoked(UserSessionsRevoked(except: nil, reason: .ban, actor: actor)), user)

        case let .unban(user, actor):
            try Self.validateUser(user)
            if store.user(user)?.banned == true { emit(.userUnbanned(UserUnbanned(actor: actor)), user) }
        }
        return d
    }

    /// The session behind a refresh token, if it can still be refreshed.
    private func liveSession<S: ProjectionStore>(_ id: SessionID, _ store: S) throws(EngineError) -> SessionRecord {
        guard let s = store.session(id) else {
            if store.revokedUntil(id) != nil { throw EngineError(.sessionRevoked, "session \(id) was ended or revoked") }
            throw EngineError(.sessionNotFound, "no active session \(id) (it may have expired)")
        }
        guard s.isActive(at: now) else { throw EngineError(.sessionExpired, "session \(id) expired at \(s.expiresAt)") }
        return s
    }

    static func validateUser(_ user: String) throws(EngineError) {
        let n = user.utf8.count
        guard n > 0, n <= 255 else { throw EngineError(.invalidRequest, "a user id must be 1 to 255 bytes of UTF-8; got \(n)") }
    }

    static func validate(_ r: LoginRequest) throws(EngineError) {
        try validateUser(r.user)
        guard r.device.label.utf8.count <= 256 else { throw EngineError(.invalidRequest, "the device label is longer than 256 bytes") }
        guard r.device.userAgent.utf8.count <= 1024 else { throw EngineError(.invalidRequest, "the user agent is longer than 1024 bytes") }
        if let clash = r.customClaims.keys.first(where: AccessTokenClaims.isRegistered) {
            throw EngineError(.invalidRequest, "custom claim \"\(clash)\" would replace a registered claim")
        }
    }
}
