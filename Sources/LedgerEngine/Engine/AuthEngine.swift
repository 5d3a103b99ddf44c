import LedgerCrypto
import LedgerCodec
import LedgerLog
import LedgerTokens
import Logging
import Synchronization

/// The authentication-session engine: commands append events to the log, and projections
/// derived only from those events answer every question.
///
/// Commands from concurrent callers are decided in batches by one writer (each seeing the
/// effects of the commands before it), committed in one durable transaction, and only then
/// applied to the projection and answered. Access tokens are signed by the callers' own
/// tasks, in parallel, after the commit.
public final class AuthEngine: Sendable {
    public let configuration: EngineConfiguration
    public let log: EventLog
    public let keys: KeyRing
    /// Users' data keys: what seals personal fields, and what reveals them to queries.
    let vault: UserKeyVault
    /// Reveals personal fields for queries and history (erased for forgotten users).
    public let personalData: PersonalDataReader
    let state: SharedProjection
    private let queue: GroupCommitQueue<Command, Decision.Answer>
    // Swapped whole when the signing key rotates. A mint takes the lock only to retain the
    // box: copying the issuer out retained each of its fields, on both cores, per token.
    private let signing: Mutex<IssuerBox>
    // Refresh-token keys are fixed while the engine runs (read from the data directory).
    private let refreshTokens: RefreshTokenCodec
    private let verifying: Mutex<AccessTokenVerifier>
    /// How start-up went: which snapshot, how many events replayed.
    public let startup: StartupReport
    let snapshots: SnapshotStore
    let snapshotting = SnapshotSchedule()
    /// Signs the log's checkpoints (``Checkpointer``).
    public let checkpoints: Checkpointer
    private let checkpointing = CheckpointSchedule()
    private let keyRetirement = Mutex<Task<Void, Never>?>(nil)
    private let keyActivation = Mutex<Task<Void, Never>?>(nil)
    private let commitObservers = CommitObservers()
    private let commands = CommandGate()
    let tails: TailHub
    /// The one shutdown, shared by every caller of ``shutdown()``.
    private let stopping = Mutex<Task<Void, any Error>?>(nil)

    /// Opens (or creates) the engine in `dataDirectory`: the log, the keys, and the
    /// projection rebuilt by replaying the log.
    public static func open(dataDirectory: String, configuration: EngineConfiguration = EngineConfiguration()) async throws -> AuthEngine {
        var logConfiguration = configuration.log
        logConfiguration.clock = configuration.clock
        let log = try EventLog(directory: dataDirectory, configuration: logConfiguration)
        // Checked before the key ring can log anything: a start that is refused changes nothing.
        try SecretFiles.requireSafeDirectory(dataDirectory + "/snapshots")
        // A missing or wrong master key stops here, before anything is written.
        let vault = try UserKeyVault.open(dataDirectory: dataDirectory, log: log, create: true)
        var keyConfiguration = KeyRingConfiguration()
        keyConfiguration.algorithm = configuration.signingAlgorithm
        keyConfiguration.accessTokenLifetimeSeconds = Int64(configuration.lifetimes.accessToken)
        keyConfiguration.leewaySeconds = configuration.leewaySeconds
        keyConfiguration.publishAheadSeconds = configuration.signingKeyPublishAheadSeconds
        // The log key before the key ring writes: a refused key file changes nothing.
        let logKey = try LogKey.open(dataDirectory: dataDirectory, origin: configuration.logOrigin, create: true)
        let checkpoints = try Checkpointer(dataDirectory: dataDirectory, log: log, key: logKey)
        let keys = try await KeyRing(dataDirectory: dataDirectory, log: log, configuration: keyConfiguration, clock: configuration.clock)
        let store = SnapshotStore.forEngine(dataDirectory: dataDirectory, logger: configuration.logger)
        let started = SystemClock().now()
        var projection = SessionProjection(revocationSlackSeconds: configuration.leewaySeconds)
        var from: UInt64?
        if configuration.startFromSnapshot, let snap = store.newestValid(matching: log, warning: { configuration.logger.warning("\($0)") }) {
            if snap.state.revocationSlackSeconds == configuration.leewaySeconds {
                projection = snap
                from = snap.position
            } else {
                configuration.logger.warning("skipping snapshots: they were taken with a different leeway; replaying the whole log")
            }
        }
        let replayed = try projection.advance(in: log)
        let report = StartupReport(snapshotPosition: from, replayedEvents: replayed,
                                   seconds: Double(SystemClock().now().microseconds - started.microseconds) / 1e6)
        configuration.logger.info("engine started", metadata: [
            "snapshot": "\(from.map(String.init) ?? "none")", "replayed": "\(replayed)", "seconds": "\(report.seconds)",
            "sessions": "\(projection.statistics.sessions)"])
        let engine = AuthEngine(configuration: configuration, log: log, keys: keys, vault: vault, projection: projection.state, startup: report,
                                snapshots: store, checkpoints: checkpoints)
        engine.startKeyRetirement()
        // A rotation started before a restart still takes effect on time.
        if let pending = keys.pendingRotation { engine.scheduleActivation(at: pending.activatesAt) }
        if let interval = configuration.checkpointInterval {
            engine.checkpointing.start(every: interval, checkpoints, logger: configuration.logger)
        }
        return engine
    }

    init(configuration: EngineConfiguration, log: EventLog, keys: KeyRing, vault: UserKeyVault, projection: Projection, startup: StartupReport,
         snapshots: SnapshotStore, checkpoints: Checkpointer) {
        self.configuration = configuration
        self.checkpoints = checkpoints
        self.log = log
        self.keys = keys
        self.vault = vault
        personalData = PersonalDataReader(vault: vault, log: log)
        self.startup = startup
        self.snapshots = snapshots
        state = SharedProjection(projection)
        tails = TailHub(published: projection.position)
        signing = Mutex(IssuerBox(AccessTokenIssuer(key: keys.signingKey, issuer: configuration.issuer, audience: configuration.audience)))
        refreshTokens = keys.refreshTokens
        verifying = Mutex(Self.verifier(keys.jwks, configuration))
        let writer = BatchWriter(configuration: configuration, log: log, tails: tails, vault: configuration.sealPersonalData ? vault : nil,
                                 observers: commitObservers)
        let schedule = snapshotting
        queue = GroupCommitQueue(label: "authledger.engine", maxBatch: 4096) { [state, snapshots] commands in
            let results = writer.process(commands, state)
            if let every = configuration.snapshotEveryEvents {
                schedule.maybeSnapshot(every: every, state: state, log: log, store: snapshots, configuration: configuration)
            }
            return results
        }
    }

    private static func verifier(_ jwks: JWKS, _ c: EngineConfiguration) -> AccessTokenVerifier {
        AccessTokenVerifier(keys: jwks, policy: VerificationPolicy(issuer: c.issuer, audiences: c.audience, leewaySeconds: c.leewaySeconds))
    }

    private func run(_ command: Command) async throws(EngineError) -> Decision.Answer {
        try CommandValidation.check(command)
        try commands.enter()
        defer { commands.leave() }
        let answer: Decision.Answer
        do { answer = try await queue.submit(command) } catch let e as EngineError { throw e } catch {
            throw EngineError(.storage, "the change could not be made durable: \(error)")
        }
        if case let .failed(error) = answer { throw error }
        return answer
    }

    // MARK: Commands

    /// Opens a session for a user the application has authenticated, on a device.
    public func login(_ request: LoginRequest) async throws(EngineError) -> (tokens: SessionTokens, session: SessionInfo) {
        var request = request
        request.device.ip = request.device.ip.normalized
        guard case let .tokens(session, generation, at) = try await run(.login(request)) else { fatalError("login answers with tokens") }
        return (try mint(session, generation: generation, at: at, custom: request.customClaims),
                SessionInfo(session, label: .clear(request.device.label), userAgent: .clear(request.device.userAgent),
                            ip: .clear(request.device.ip), current: session.id))
    }

    /// Exchanges a refresh token for a new pair. See `docs/SESSIONS.md` for the rotation,
    /// grace and reuse rules. `customClaims` go into the new access token.
    public func refresh(_ refreshToken: String, ip: IPAddress = .unknown,
                        customClaims: [String: JSONValue] = [:]) async throws(EngineError) -> SessionTokens {
        // Checked before anything is committed: a rotation whose token cannot be minted would
        // leave the client holding a token that later looks like reuse.
        try CommandValidation.customClaims(customClaims)
        let token: RefreshToken
        do { token = try refreshTokens.authenticate(refreshToken) } catch {
            // Forged or malformed: refused here, without a trace in the log and without
            // reaching the writer.
            throw EngineError(.invalidRefreshToken, error.description)
        }
        guard case let .tokens(session, generation, at) = try await run(.refresh(token: token, ip: ip.normalized)) else {
            fatalError("refresh answers with tokens")
        }
        return try mint(session, generation: generation, at: at, custom: customClaims)
    }

    /// Ends one session (the user logged out). Ending it again is not an error while the
    /// ended session is remembered (until its last access token has expired).
    public func logout(session: SessionID) async throws(EngineError) {
        _ = try await run(.logout(session))
    }

    /// Ends all of a user's sessions, or all but `except` (e.g. after a password change).
    public func logoutAll(user: String, except: SessionID? = nil, reason: RevocationReason? = nil, actor: String = "user") async throws(EngineError) {
        _ = try await run(.logoutAll(user: user, except: except, reason: reason ?? (except == nil ? .logoutAll : .passwordChange), actor: actor))
    }

    /// Revokes a session as an administrator.
    public func revoke(session: SessionID, actor: String) async throws(EngineError) {
        _ = try await run(.revoke(session, actor: actor))
    }

    /// Bans a user: every session is revoked and logins are refused until ``unban(user:actor:)``.
    public func ban(user: String, actor: String, reason: String) async throws(EngineError) {
        _ = try await run(.ban(user: user, actor: actor, reason: reason))
    }

    /// Lifts a ban. Unbanning a user who is not banned changes nothing.
    public func unban(user: String, actor: String) async throws(EngineError) {
        _ = try await run(.unban(user: user, actor: actor))
    }

    /// Forgets a person: ends every session of `user`, appends `user.forgotten`, and deletes
    /// the user's data key in the same transaction. From then on every personal field of
    /// their sealed events (device labels, user agents, addresses) reads as erased in
    /// history, audits, session lists and snapshots, while every record, and so the hash
    /// chain, stays as it was. The id is retired: a later login is refused
    /// (``EngineError/Kind/userForgotten``). Forgetting twice changes nothing. Events
    /// written in clear before sealing (schema 1) cannot be erased this way; see
    /// `docs/EVENTS.md`. Run `authledger keys rotate-master` afterwards so that backups of
    /// the key database no longer unwrap the deleted key.
    public func forget(user: String, actor: String) async throws(EngineError) {
        _ = try await run(.forget(user: user, actor: actor))
    }

    /// Starts a signing-key rotation: the new key is published now (in the JWKS and as a
    /// `key.added` event to tails) and signs from ``EngineConfiguration/signingKeyPublishAheadSeconds``
    /// later, when the engine activates it on its own; the old key stays published until its
    /// tokens expire. A rotation already waiting is returned rather than started twice.
    /// - Parameter immediately: sign with the new key at once, for a key that may have
    ///   leaked (verifiers with a cached key set refetch it on the unknown `kid`).
    @discardableResult
    public func rotateSigningKey(algorithm: JWSAlgorithm? = nil, immediately: Bool = false) async throws -> KeyRotation {
        try commands.enter()
        defer { commands.leave() }
        let rotation = try await keys.rotate(algorithm: algorithm, immediately: immediately)
        keysChanged()
        if !rotation.isActive { scheduleActivation(at: rotation.activatesAt) }
        _ = try? await run(.publishTails)
        return rotation
    }

    /// Makes the key published ahead the signing key once its time has come (see
    /// ``rotateSigningKey(algorithm:immediately:)``); returns its kid if it did. The engine
    /// calls this itself at the activation time and every ``EngineConfiguration/keyRetirementInterval``.
    @discardableResult
    public func activateDueSigningKey() async throws -> String? {
        try commands.enter()
        defer { commands.leave() }
        guard let kid = try await keys.activateDueKey() else { return nil }
        keysChanged()
        _ = try? await run(.publishTails)
        return kid
    }

    /// Points the issuer and the verifier at the key ring's current keys.
    private func keysChanged() {
        let key = keys.signingKey
        signing.withLock { box in
            if box.issuer.key.kid != key.kid {
                box = IssuerBox(AccessTokenIssuer(key: key, issuer: configuration.issuer, audience: configuration.audience))
            }
        }
        verifying.withLock { $0 = Self.verifier(keys.jwks, configuration) }
    }

    /// Wakes the engine when a key published ahead is due, so it does not wait for the next
    /// retirement round. The time is the engine clock's; a test clock that does not move in
    /// step is covered by the retirement rounds.
    private func scheduleActivation(at time: Timestamp) {
        let delay = max(0, time.microseconds - configuration.clock.now().microseconds)
        let task = Task.detached { [weak self] in
            do { try await Task.sleep(for: .microseconds(delay)) } catch { return }
            guard let self else { return }
            do {
                if let kid = try await self.activateDueSigningKey() {
                    self.configuration.logger.info("signing key activated", metadata: ["kid": "\(kid)"])
                }
            } catch let error as EngineError where error.kind == .shuttingDown {
                return
            } catch {
                self.configuration.logger.error("activating the signing key published ahead failed (retried every \(self.configuration.keyRetirementInterval)): \(error)")
            }
        }
        keyActivation.withLock { old in
            old?.cancel()
            old = task
        }
    }

    /// Appends records that belong to no user and that the projection does not apply (such
    /// as a server's API-key events), then hands them to the tails like the engine's own.
    /// Returns when they are durable, with the time the log recorded.
    @discardableResult
    public func appendGlobal(_ events: [AuthEvent]) async throws(EngineError) -> Timestamp {
        precondition(events.allSatisfy { !$0.belongsToUser }, "appendGlobal takes only events that belong to no user")
        try commands.enter()
        defer { commands.leave() }
        let receipt: AppendReceipt
        do { receipt = try await log.append(events.map { $0.pending(user: nil) }) } catch {
            throw EngineError(.storage, "the change could not be made durable: \(error); nothing changed")
        }
        _ = try? await run(.publishTails)
        return receipt.timestamp
    }

    /// Retires keys whose tokens have all expired, under the longest access-token lifetime
    /// any session was started with. The engine calls this itself every
    /// ``EngineConfiguration/keyRetirementInterval``.
    @discardableResult
    public func retireExpiredKeys() async throws -> [String] {
        try commands.enter()
        defer { commands.leave() }
        let longest = state.withLock { $0.longestAccessTokenLifetimeSeconds }
        let retired = try await keys.retireExpiredKeys(longestAccessTokenLifetimeSeconds: longest)
        if !retired.isEmpty {
            verifying.withLock { $0 = Self.verifier(keys.jwks, configuration) }
            _ = try? await run(.publishTails)
        }
        return retired
    }

    private func startKeyRetirement() {
        let interval = configuration.keyRetirementInterval
        // Weak: an engine the application drops without shutdown() must still go away.
        let task = Task.detached { [weak self] in
            while true {
                do { try await Task.sleep(for: interval) } catch { return }
                guard let self else { return }
                do {
                    if let kid = try await self.activateDueSigningKey() {
                        self.configuration.logger.info("signing key activated", metadata: ["kid": "\(kid)"])
                    }
                    let retired = try await self.retireExpiredKeys()
                    if !retired.isEmpty { self.configuration.logger.info("signing keys retired", metadata: ["kids": "\(retired)"]) }
                } catch {
                    self.configuration.logger.error("retiring expired signing keys failed (retried in \(interval)): \(error)")
                }
            }
        }
        keyRetirement.withLock { $0 = task }
    }

    deinit {
        keyRetirement.withLock { $0?.cancel() }
        keyActivation.withLock { $0?.cancel() }
        checkpointing.cancel()
    }

    private func mint(_ s: SessionRecord, generation: UInt32, at now: Timestamp, custom: [String: JSONValue]) throws(EngineError) -> SessionTokens {
        let box = signing.withLock { $0 }
        // No access token outlives its session: `exp` is at most the session's expiry.
        let expires = min(now.seconds + Int64(s.lifetimes.accessToken), s.expiresAt.seconds)
        let access: String
        do {
            access = try box.issuer.issue(subject: s.user, sessionID: s.id.description, now: now.seconds,
                                          custom: custom, lifetimeSeconds: expires - now.seconds).token
        } catch {
            throw EngineError(.invalidRequest, "could not issue the access token: \(error)")
        }
        let refresh = refreshTokens.token(sessionHigh: s.id.high, sessionLow: s.id.low, generation: generation)
        return SessionTokens(session: s.id, accessToken: access, accessTokenExpiresAt: Timestamp(seconds: expires),
                             refreshToken: refresh, refreshTokenExpiresAt: min(s.expiresAt, now.adding(seconds: Int64(s.lifetimes.refreshToken))))
    }

    /// Calls `observer` after each batch of commands the engine commits (batch size and
    /// time, for metrics). It runs on the writer's queue: keep it quick and non-blocking.
    public func observeCommits(_ observer: @escaping @Sendable (CommitBatch) -> Void) {
        commitObservers.add(observer)
    }

    // MARK: Snapshots

    /// Writes a snapshot of the projection now, while writers keep appending (they are held
    /// up only by one copy of the state, on their next change). Returns the file written.
    @discardableResult
    public func snapshot() async throws -> SnapshotInfo {
        try await snapshotting.take(state: state, log: log, store: snapshots, configuration: configuration)
    }

    /// Ends the engine cleanly, in this order: new commands are refused
    /// (``EngineError/Kind/shuttingDown``); the commands already taken are finished and
    /// answered; tails end; scheduled work (key retirement, background snapshots,
    /// checkpoints) stops; a checkpoint covering every event is signed if configured; the
    /// final snapshot is written if configured, so the next start-up replays nothing;
    /// the log is closed and the writer lock released, so the directory can be opened
    /// again at once. Idempotent: later and concurrent calls wait for the same shutdown.
    public func shutdown() async throws {
        let task = stopping.withLock { t -> Task<Void, any Error> in
            if let t { return t }
            let new = Task { try await self.stop() }
            t = new
            return new
        }
        try await task.value
    }

    private func stop() async throws {
        // Scheduled retirement first, so it does not run into the closed gate and report
        // a failure that is only the shutdown.
        let scheduled: [Task<Void, Never>?] = [keyRetirement.withLock { t in defer { t = nil }; return t },
                         keyActivation.withLock { t in defer { t = nil }; return t }]
        for task in scheduled.compactMap({ $0 }) {
            task.cancel()
            await task.value
        }
        await commands.closeAndDrain()
        tails.close()
        await snapshotting.finish()
        await checkpointing.stop()
        defer { log.close() }
        if configuration.checkpointAtShutdown {
            // Logged, not thrown: a refused checkpoint needs an operator, not a failed shutdown.
            do {
                let signed = try checkpoints.sign()
                configuration.logger.info("checkpoint at shutdown", metadata: ["size": "\(signed.checkpoint.size)"])
            } catch {
                configuration.logger.error("\(error)")
            }
        }
        if configuration.snapshotAtShutdown && statistics.position > 0 {
            let info = try await snapshot()
            configuration.logger.info("snapshot at shutdown", metadata: ["position": "\(info.position)", "path": "\(info.path)"])
        }
    }

    /// Whether the engine takes commands (false once ``shutdown()`` has begun).
    public var isRunning: Bool { commands.isOpen }

    // MARK: Tails

    /// The events from `position` on (`types` nil: every type), in batches, each delivered
    /// once the engine's own queries reflect it; see ``EngineTail``. Subscribers at the
    /// same position with the same filter share one read of the log.
    public func tail(from position: UInt64, types: Set<EventType>? = nil) -> EngineTail {
        EngineTail(hub: tails, log: log, start: position, filter: types)
    }

    /// Wakes every tail waiting in ``EngineTail/Iterator/nextOrWake()``, which returns
    /// ``EngineTail/Wake/woken``: a server calls this once per heartbeat interval for all
    /// its streams, and when it begins to shut down.
    public func wakeTails() { tails.wakeAll() }

    /// The event types that end sessions or refuse logins: what a revocation subscriber needs.
    public static let revocationTypes: Set<EventType> = [.sessionEnded, .sessionRevoked, .userSessionsRevoked, .userBanned]

    // MARK: Queries

    /// The user's active sessions, oldest first; `current` marks the caller's own.
    public func activeSessions(user: String, current: SessionID? = nil) -> [SessionInfo] {
        let now = configuration.clock.now()
        return state.withLock { $0.activeSessions(of: user, at: now) }.map { personalData.info($0, current: current) }
    }

    /// One session, if it is active.
    public func session(_ id: SessionID) -> SessionInfo? {
        let now = configuration.clock.now()
        let record = state.withLock { p in p.session(id).flatMap { $0.isActive(at: now) ? $0 : nil } }
        return record.map { personalData.info($0, current: nil) }
    }

    /// Whether the session was ended or revoked (by an event) and one of its access tokens
    /// could still be within its lifetime: the revoked set that followers of the log keep.
    /// An expired session is not revoked, though ``verifyAccessToken(_:)`` refuses its tokens
    /// too (their `exp` never passes the session's expiry, so verifiers elsewhere do as well).
    public func isRevoked(session: SessionID) -> Bool {
        let now = configuration.clock.now()
        return state.withLock { $0.standing(session, at: now, slack: configuration.leewaySeconds) } == .ended
    }

    /// Whether access tokens of `id` must be refused at `now`: it was ended, revoked or has
    /// expired, and one of its tokens could still be within its lifetime.
    private func refusesTokens(of id: SessionID, at now: Timestamp) -> Bool {
        switch state.withLock({ $0.standing(id, at: now, slack: configuration.leewaySeconds) }) {
        case .expired, .ended: return true
        case .active, .unknown: return false
        }
    }

    /// The revoked set as of the projection's log position, read in one step with that
    /// position and its chain hash: every session whose access tokens must be refused now,
    /// with the time until which. A follower starts from it and applies the events after
    /// ``RevocationState/position`` (see `docs/FOLLOWING.md`).
    public func revocationState() -> RevocationState {
        let now = configuration.clock.now()
        return state.withLock { p in
            RevocationState(position: p.position, chainHash: p.chainHash,
                            entries: p.revoked.refused(at: now).sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        }
    }

    /// Verifies an access token statelessly (signature and claims) and statefully (its
    /// session was not ended, revoked or expired).
    public func verifyAccessToken(_ token: String) throws(EngineError) -> AccessTokenClaims {
        let now = configuration.clock.now()
        let claims: AccessTokenClaims
        do { claims = try verifying.withLock { $0 }.verify(token, now: now.seconds) } catch {
            throw EngineError(.invalidAccessToken(error.check), error.description)
        }
        if let id = SessionID(hex: claims.sessionID), refusesTokens(of: id, at: now) {
            throw EngineError(.invalidAccessToken(.revoked), "session \(id) was ended, revoked or has expired")
        }
        return claims
    }

    /// What a refresh token is, for RFC 7662 introspection: its session (while the session
    /// is active), its generation and what presenting it would do now. Nil for a token that
    /// is not genuine (malformed or forged): such a token names nothing.
    public func introspect(refreshToken: String) -> RefreshTokenIntrospection? {
        guard let token = try? refreshTokens.authenticate(refreshToken) else { return nil }
        let id = SessionID(high: token.sessionHigh, low: token.sessionLow)
        return RefreshTokenIntrospection(session: id, generation: token.generation, status: status(of: token), info: session(id))
    }

    /// What presenting `refreshToken` would do now, without doing it.
    public func refreshTokenStatus(_ refreshToken: String) -> RefreshTokenStatus {
        guard let token = try? refreshTokens.authenticate(refreshToken) else { return .invalid(.invalidRefreshToken) }
        return status(of: token)
    }

    private func status(of token: RefreshToken) -> RefreshTokenStatus {
        let now = configuration.clock.now()
        let id = SessionID(high: token.sessionHigh, low: token.sessionLow)
        switch state.withLock({ $0.standing(id, at: now, slack: configuration.leewaySeconds) }) {
        case let .active(s):
            switch RotationRule.classify(presented: token.generation, of: s, at: now, graceSeconds: configuration.graceWindowSeconds) {
            case .current: return .current
            case .withinGrace: return .withinGrace
            case let .reused(kind): return .reused(kind)
            }
        case .expired: return .invalid(.sessionExpired)
        case .ended: return .invalid(.sessionRevoked)
        case .unknown: return .invalid(.sessionNotFound)
        }
    }

    /// One page of the user's history, oldest first: at most `limit` events at positions
    /// from `from` on, and the position to ask for next (nil when the history is exhausted).
    public func history(user: String, from: UInt64 = 1, limit: Int) throws -> HistoryPage {
        var events: [LoggedEvent] = []
        var next: UInt64?
        try log.scan(user: user, from: from) { view in
            if events.count == max(limit, 1) { next = view.position; return false }
            if !view.isUnknownAnnotation { events.append(personalData.reveal(try LoggedEvent(view: view))) }
            return true
        }
        return HistoryPage(events: events, next: next)
    }

    /// The user's whole history, oldest first, personal fields revealed (erased once forgotten).
    public func history(user: String) throws -> [LoggedEvent] {
        try log.events(ofUser: user).filter { !EventType.isUnknownAnnotation($0.type) }.map { personalData.reveal(try LoggedEvent($0)) }
    }

    /// Whether the user is banned.
    public func isBanned(user: String) -> Bool { state.withLock { $0.user(user)?.banned ?? false } }

    /// A stable hash of the whole projection: equal states give equal digests.
    public var projectionDigest: SHA256Digest { state.withLock { $0.digest } }

    /// The projection's position and its digest, read together: what a rebuild of the log
    /// through that position must reproduce (`authledger rebuild`). Commands wait while it
    /// is computed, which takes time in proportion to the projection's size.
    public var projectionCheckpoint: (position: UInt64, digest: SHA256Digest) {
        state.withLock { ($0.position, $0.digest) }
    }

    public var statistics: EngineStatistics {
        state.withLock { EngineStatistics(position: $0.position, sessions: $0.activeSessionCount, users: $0.userCount, revokedRemembered: $0.revokedCount) }
    }
}

/// The access-token issuer of the current signing key.
final class IssuerBox: Sendable {
    let issuer: AccessTokenIssuer
    init(_ issuer: AccessTokenIssuer) { self.issuer = issuer }
}
