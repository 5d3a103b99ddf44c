import LedgerCrypto
import LedgerCodec
import LedgerLog
import LedgerTokens

/// A state-changing request, decided by the writer against the committed state plus the
/// effects of earlier commands in the same batch.
enum Command: Sendable {
    case login(LoginRequest)
    /// A refresh token already authenticated (its MAC checked) by the caller's task, so
    /// forgeries cost the callers' cores and never the single writer's time.
    case refresh(token: RefreshToken, ip: IPAddress)
    case logout(SessionID)
    case logoutAll(user: String, except: SessionID?, reason: RevocationReason, actor: String)
    case revoke(SessionID, actor: String)
    case ban(user: String, actor: String, reason: String)
    case unban(user: String, actor: String)
    /// Ends every session of the user, appends `user.forgotten` and deletes the user's key.
    case forget(user: String, actor: String)
    /// Decides nothing: makes the writer publish the log's head to the tails (after key
    /// changes, which the key ring appends itself).
    case publishTails
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

/// Turns commands into events. Reads state through a ``ProjectionStore``, applies its own
/// events to that store so later commands in the batch see them, and seals personal
/// fields under keys from ``BatchKeys`` (whose only I/O is reading a wrapped key on a
/// cache miss).
struct CommandDecider {
    let configuration: EngineConfiguration
    let now: Timestamp

    func decide<S: ProjectionStore>(_ command: Command, _ store: inout S, _ keys: inout BatchKeys) throws(EngineError) -> Decision {
        var d = Decision()
        func emit(_ event: AuthEvent, _ user: String?) {
            store.apply(event, user: user, at: now, position: 0, revocationSlackSeconds: configuration.leewaySeconds)
            d.events.append((event, user))
        }
        switch command {
        case let .login(request):
            let previous = store.user(request.user)
            if previous?.forgotten == true {
                throw EngineError(.userForgotten, "user \(request.user) was forgotten; the id is retired: give the person a new user id")
            }
            if previous?.banned == true { throw EngineError(.userBanned, "user \(request.user) is banned") }
            let id = SessionID.random()
            let key = try keys.sealing(for: request.user)
            let device = request.device
            let fingerprint = key?.fingerprint(label: device.label, userAgent: device.userAgent)
            if let fingerprint {
                let c = FieldCipher.login(key, id)
                emit(.sessionStarted(SessionStarted(
                    session: id, label: c.seal(device.label, at: FieldCipher.Slot.loginLabel),
                    userAgent: c.seal(device.userAgent, at: FieldCipher.Slot.loginLabel + device.label.utf8.count),
                    ip: c.seal(device.ip, at: FieldCipher.Slot.address), deviceFingerprint: fingerprint, lifetimes: configuration.lifetimes)), request.user)
            } else {
                emit(.sessionStarted(SessionStarted(session: id, device: device, lifetimes: configuration.lifetimes)), request.user)
            }
            // A device first seen before sealing has its unkeyed fingerprint on record.
            if configuration.rules.newDevice, let devices = previous?.devices, !devices.isEmpty,
               !devices.contains(fingerprint ?? device.fingerprint), !devices.contains(device.fingerprint) {
                emit(.suspiciousActivity(flag(.newDevice, id, key, detail: "first login from \"\(device.label)\" (\(device.userAgent))") { c in
                    .newDevice(label: c.seal(device.label, at: FieldCipher.Slot.flagLabel),
                               userAgent: c.seal(device.userAgent, at: FieldCipher.Slot.flagLabel + device.label.utf8.count))
                }), request.user)
            }
            var active = store.activeSessions(of: request.user, at: now)
            if let limit = configuration.maxSessionsPerUser.map({ max($0, 1) }), active.count > limit {
                for old in active.filter({ $0.id != id }).prefix(active.count - limit) {
                    emit(.sessionRevoked(SessionRevoked(session: old.id, reason: .sessionLimit, actor: "system", refuseUntil: refusal(old))), request.user)
                }
                active = store.activeSessions(of: request.user, at: now)
            }
            if let threshold = configuration.rules.tooManySessions, active.count > threshold {
                emit(.suspiciousActivity(flag(.tooManySessions, id, key, detail: "\(active.count) active sessions (threshold \(threshold))") { _ in
                    .tooManySessions(active: UInt32(clamping: active.count), threshold: UInt32(clamping: threshold))
                }), request.user)
            }
            d.answer = .tokens(store.session(id)!, generation: 1, at: now)

        case let .refresh(token, ip):
            let id = SessionID(high: token.sessionHigh, low: token.sessionLow)
            let s = try liveSession(id, store)
            let c = s.generation, p = token.generation
            let key = try keys.sealing(for: s.user)
            // Any refresh from a new network is flagged, whether it rotates or is a retry.
            // The last address is revealed here, where the key is at hand, and compared in
            // clear: a keyed network fingerprint would add 8 bytes to every rotation record.
            func flagNetworkChange() {
                guard configuration.rules.networkChange, ip != .unknown,
                      let last = FieldCipher.lastAddress(key, id, generation: s.generation).reveal(s.lastIP, at: FieldCipher.Slot.address).address,
                      last != .unknown, last.network != ip.network else { return }
                emit(.suspiciousActivity(flag(.networkChange, id, key, detail: "refresh from \(ip), last seen from \(last)") { f in
                    .networkChange(ip: f.seal(ip, at: FieldCipher.Slot.address), previous: f.seal(last, at: FieldCipher.Slot.secondAddress))
                }), s.user)
            }
            switch RotationRule.classify(presented: p, of: s, at: now, graceSeconds: configuration.graceWindowSeconds) {
            case .current:
                let address = FieldCipher.rotation(key, id, generation: c + 1).seal(ip, at: FieldCipher.Slot.address)
                emit(.refreshRotated(RefreshRotated(session: id, generation: c + 1, address: address)), s.user)
                flagNetworkChange()
                d.answer = .tokens(store.session(id)!, generation: c + 1, at: now)
            case .withinGrace:
                // A lost response or a concurrent tab: hand out the current token again.
                flagNetworkChange()
                d.answer = .tokens(s, generation: c, at: now)
            case let .reused(kind):
                let address = FieldCipher.reuse(key, id, presented: p, current: c).seal(ip, at: FieldCipher.Slot.address)
                emit(.refreshReuseDetected(RefreshReuseDetected(session: id, presentedGeneration: p, currentGeneration: c,
                                                                classification: kind, address: address)), s.user)
                emit(.sessionRevoked(SessionRevoked(session: id, reason: .reuseDetected, actor: "system", refuseUntil: refusal(s))), s.user)
                if configuration.rules.refreshReuse {
                    emit(.suspiciousActivity(flag(.refreshReuse, id, key, detail: "\(kind) token (generation \(p), current \(c)) from \(ip)") { f in
                        .refreshReuse(classification: kind, presented: p, current: c, ip: f.seal(ip, at: FieldCipher.Slot.address))
                    }), s.user)
                }
                d.answer = .failed(EngineError(.refreshTokenReused(kind),
                                               "refresh token reuse detected (\(kind)); the session has been revoked"))
            }

        case let .logout(id):
            switch store.standing(id, at: now, slack: configuration.leewaySeconds) {
            case let .active(s), let .expired(s): emit(.sessionEnded(SessionEnded(session: id, refuseUntil: refusal(s))), s.user)
            case .ended: return d  // already ended: logging out twice is fine
            case .unknown: throw EngineError(.sessionNotFound, "no session \(id) (it never existed, or ended or expired long ago)")
            }

        case let .logoutAll(user, except, reason, actor):
            for event in endAll(of: user, except: except, reason: reason, actor: actor, store) { emit(event, user) }

        case let .revoke(id, actor):
            switch store.standing(id, at: now, slack: configuration.leewaySeconds) {
            case let .active(s), let .expired(s):
                emit(.sessionRevoked(SessionRevoked(session: id, reason: .admin, actor: actor, refuseUntil: refusal(s))), s.user)
            case .ended: return d
            case .unknown: throw EngineError(.sessionNotFound, "no session \(id) (it never existed, or ended or expired long ago)")
            }

        case let .ban(user, actor, reason):
            emit(.userBanned(UserBanned(actor: actor, reason: reason)), user)
            for event in endAll(of: user, except: nil, reason: .ban, actor: actor, store) { emit(event, user) }

        case let .unban(user, actor):
            if store.user(user)?.banned == true { emit(.userUnbanned(UserUnbanned(actor: actor)), user) }

        case let .forget(user, actor):
            // Forgetting twice changes nothing: the key is already gone.
            if store.user(user)?.forgotten == true { return d }
            for event in endAll(of: user, except: nil, reason: .admin, actor: actor, store) { emit(event, user) }
            emit(.userForgotten(UserForgotten(actor: actor)), user)
            keys.delete(user)

        case .publishTails:
            break
        }
        return d
    }

    /// A flag: structured and sealed under a fresh random nonce when the user has a key,
    /// else (the benchmark baseline) schema 1 free text.
    private func flag(_ rule: SuspicionRule, _ session: SessionID, _ key: UserDataKey?, detail: String,
                      _ finding: (FieldCipher) -> SuspicionFinding) -> SuspiciousActivity {
        guard key != nil else { return SuspiciousActivity(rule: rule, session: session, detail: detail) }
        let nonce = SecureRandom.bytes(SuspiciousActivity.nonceLength)
        return SuspiciousActivity(session: session, nonce: nonce, finding: finding(FieldCipher.flag(key, nonce: nonce)))
    }

    /// Until when the tokens of `s`, ended now, are refused.
    private func refusal(_ s: SessionRecord) -> Timestamp {
        s.lifetimes.refuseTokensUntil(endedAt: now, expiresAt: s.expiresAt.microseconds, leewaySeconds: configuration.leewaySeconds)
    }

    /// The `user.sessions_revoked` events that end every session of `user` whose tokens could
    /// still verify (active, or expired and remembered), but `except`: each names the
    /// sessions it ends, at most ``sessionsPerEvent`` of them, so a record stays small.
    /// Always at least one event, so the history shows the request even when nothing was open.
    private func endAll<S: ProjectionStore>(of user: String, except: SessionID?, reason: RevocationReason, actor: String,
                                            _ store: S) -> [AuthEvent] {
        var ended: [EndedSession] = []
        for id in store.user(user)?.sessions ?? [] where id != except {
            switch store.standing(id, at: now, slack: configuration.leewaySeconds) {
            case let .active(s), let .expired(s): ended.append(EndedSession(session: id, refuseUntil: refusal(s)))
            case .ended, .unknown: continue
            }
        }
        let chunks = stride(from: 0, to: max(ended.count, 1), by: Self.sessionsPerEvent).map {
            Array(ended[$0..<min($0 + Self.sessionsPerEvent, ended.count)])
        }
        return chunks.map { .userSessionsRevoked(UserSessionsRevoked(except: except, reason: reason, actor: actor, sessions: $0)) }
    }

    /// 1,000 sessions of 17–21 bytes: well within a record's 65,535 bytes.
    static let sessionsPerEvent = 1_000

    /// The session behind a refresh token, if it can still be refreshed.
    private func liveSession<S: ProjectionStore>(_ id: SessionID, _ store: S) throws(EngineError) -> SessionRecord {
        switch store.standing(id, at: now, slack: configuration.leewaySeconds) {
        case let .active(s): return s
        case let .expired(s): throw EngineError(.sessionExpired, "session \(id) expired at \(s.expiresAt)")
        case .ended: throw EngineError(.sessionRevoked, "session \(id) was ended or revoked")
        case .unknown: throw EngineError(.sessionNotFound, "no session \(id) (it never existed, or ended or expired long ago)")
        }
    }
}

/// The rotation rule: what presenting generation `presented` of a live session's refresh
/// token means. The one place the rule lives; the decider acts on it and
/// ``AuthEngine/refreshTokenStatus(_:)`` reports it.
enum RotationRule {
    enum Outcome: Equatable {
        case current, withinGrace, reused(ReuseClassification)
    }

    static func classify(presented p: UInt32, of s: SessionRecord, at now: Timestamp, graceSeconds: Int64) -> Outcome {
        let c = s.generation
        // The current token rotates. Its predecessor, within the grace window of the latest
        // rotation, is a lost response or a second tab: it gets the current token again.
        // Anything else genuine is reuse: older tokens, the predecessor after the window,
        // and generations the log never issued (an old backup restored, a forked lineage).
        if p == c { return .current }
        if p &+ 1 == c && now < s.rotatedAt.adding(seconds: graceSeconds) { return .withinGrace }
        return .reused(p > c ? .orphanedBranch : (p &+ 1 == c ? .recentPredecessor : .staleLineage))
    }
}

/// The one place that checks what callers put into commands, before anything is queued:
/// every field within ``FieldLimits`` (so every record written can be read back), and
/// custom claims that neither replace a registered claim nor outgrow a token.
enum CommandValidation {
    static func user(_ user: String) throws(EngineError) {
        let n = user.utf8.count
        guard n > 0, n <= FieldLimits.user else {
            throw EngineError(.invalidRequest, "a user id must be 1 to \(FieldLimits.user) bytes of UTF-8; got \(n)")
        }
    }

    static func field(_ value: String, _ name: String, limit: Int, required: Bool = false) throws(EngineError) {
        let n = value.utf8.count
        if required && n == 0 { throw EngineError(.invalidRequest, "the \(name) must not be empty") }
        guard n <= limit else { throw EngineError(.invalidRequest, "the \(name) is \(n) bytes; at most \(limit) are allowed") }
    }

    static func actor(_ actor: String) throws(EngineError) { try field(actor, "actor", limit: FieldLimits.actor, required: true) }

    static func customClaims(_ claims: [String: JSONValue]) throws(EngineError) {
        guard !claims.isEmpty else { return }
        if let clash = claims.keys.first(where: AccessTokenClaims.isRegistered) {
            throw EngineError(.invalidRequest, "custom claim \"\(clash)\" would replace a registered claim")
        }
        let n = JSONValue.object(claims).serialized.utf8.count
        guard n <= FieldLimits.customClaims else {
            throw EngineError(.invalidRequest, "the custom claims are \(n) bytes of JSON; at most \(FieldLimits.customClaims) are allowed")
        }
    }

    static func login(_ r: LoginRequest) throws(EngineError) {
        try user(r.user)
        try field(r.device.label, "device label", limit: FieldLimits.deviceLabel)
        try field(r.device.userAgent, "user agent", limit: FieldLimits.userAgent)
        try customClaims(r.customClaims)
    }

    static func check(_ command: Command) throws(EngineError) {
        switch command {
        case let .login(r): try login(r)
        case .refresh, .logout, .publishTails: return
        case let .logoutAll(u, _, _, a): try user(u); try actor(a)
        case let .revoke(_, a): try actor(a)
        case let .ban(u, a, reason): try user(u); try actor(a); try field(reason, "ban reason", limit: FieldLimits.banReason)
        case let .unban(u, a), let .forget(u, a): try user(u); try actor(a)
        }
    }
}
