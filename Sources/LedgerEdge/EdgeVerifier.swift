import AsyncHTTPClient
import LedgerCodec
import LedgerTokens
import Logging
import ServiceLifecycle
import Synchronization

/// Verifies AuthLedger access tokens locally, with no call to the server per request, and
/// refuses the tokens of sessions ended or revoked on the server within milliseconds.
///
/// It keeps the server's key set (``KeySetCache``) and the set of revoked sessions, loaded
/// from `GET /v1/revocations` and kept current by following `GET /v1/events` from that
/// position (see docs/EDGE.md and docs/FOLLOWING.md). Run it as a `Service` beside the
/// HTTP server (``run()``); call ``verify(_:)`` on every request.
public final class EdgeVerifier: Service, Sendable {
    public let configuration: EdgeConfiguration
    let keys: KeySetCache
    let following = Mutex(Following())
    let client: HTTPClient
    let metrics: EdgeMetrics
    var logger: Logger { configuration.logger }

    /// What the follower knows, changed only under the lock.
    struct Following {
        var state = RevocationState()
        var loaded = false
        var connected = false
        /// When the server last confirmed the set: state loaded, event or heartbeat.
        var lastWord: ContinuousClock.Instant?
        var serverPosition: UInt64 = 0
        var stateLoads = 0
        var connections = 0
    }

    /// - Parameter httpClient: the client for the server; the shared one by default.
    public init(configuration: EdgeConfiguration, httpClient: HTTPClient = .shared) {
        self.configuration = configuration
        self.client = httpClient
        self.metrics = EdgeMetrics(prefix: configuration.metricsPrefix, factory: configuration.metricsFactory)
        let (server, timeout, client) = (configuration.server, configuration.requestTimeout, httpClient)
        self.keys = KeySetCache(policy: configuration.policy, refetchInterval: configuration.unknownKeyRefetchInterval,
                                defaultLifetime: configuration.defaultKeySetLifetime) {
            try await ServerCalls.fetchKeySet(client, server: server, timeout: timeout)
        }
    }

    // MARK: Verifying

    /// The claims of `token` if its signature and claims are valid and its session is not
    /// refused; otherwise an ``EdgeError`` saying why (``EdgeError/Code/invalidToken``,
    /// ``EdgeError/Code/revoked``, or ``EdgeError/Code/behind`` when the revoked set may be
    /// out of date and the policy fails closed).
    ///
    /// Asynchronous only because a token signed by a key not yet seen may need the key set
    /// fetched again; every other call completes without suspending.
    public func verify(_ token: String) async throws(EdgeError) -> AccessTokenClaims {
        let now = configuration.clock.now()
        let claims = try await keys.verify(token, now: now.seconds)
        try checkSession(claims, at: now)
        return claims
    }

    /// The stateful half of ``verify(_:)``: the session's revocation and the failure policy.
    func checkSession(_ claims: AccessTokenClaims, at now: Timestamp) throws(EdgeError) {
        guard let session = SessionID(hex: claims.sessionID) else {
            // Every AuthLedger access token names its session; one that does not cannot be
            // checked for revocation, so it is not accepted.
            throw .invalid(TokenError(.claims, "the token has no session id (\"sid\"), so its revocation cannot be checked"))
        }
        let (refused, lastWord) = following.withLock { f in (f.state.refuses(session, at: now), f.lastWord) }
        if refused {
            metrics.revoked.increment()
            throw EdgeError(.revoked, "the session was ended or revoked", remedy: "log in again",
                            token: TokenError(.revoked, "session \(session) was ended or revoked"))
        }
        if configuration.failure.mode == .failClosed && isBehind(lastWord: lastWord) {
            metrics.refusedBehind.increment()
            throw behindError(lastWord)
        }
    }

    func isBehind(lastWord: ContinuousClock.Instant?, now: ContinuousClock.Instant = .now) -> Bool {
        guard let lastWord else { return true }
        return now - lastWord > configuration.failure.maximumLag
    }

    func behindError(_ lastWord: ContinuousClock.Instant?) -> EdgeError {
        let reason = lastWord.map { "no word from the revocation stream for \(ContinuousClock.now - $0), over the limit of \(configuration.failure.maximumLag)" }
            ?? "the revocation state has not been loaded yet"
        return EdgeError(.behind, reason + ", so tokens are refused (fail closed)",
                         remedy: "answer 503 and retry; check that \(configuration.server) is reachable and the API key has events:read")
    }

    /// The library's state now.
    public var status: EdgeStatus {
        let now = ContinuousClock.now
        return following.withLock { f in
            EdgeStatus(loaded: f.loaded, connected: f.connected, position: f.state.position, serverPosition: f.serverPosition,
                       lag: f.lastWord.map { now - $0 }, behind: isBehind(lastWord: f.lastWord, now: now),
                       revokedSessions: f.state.count, stateLoads: f.stateLoads, connections: f.connections,
                       keySetFetches: keys.fetches)
        }
    }

    /// Waits until the revocation state is loaded and the key set fetched, or `timeout`
    /// passes; returns whether they are. A service may call it before accepting traffic.
    public func waitUntilReady(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if status.loaded && keys.hasKeys { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return status.loaded && keys.hasKeys
    }

    // MARK: Following

    /// Fetches the key set, loads the revocation state and follows the event stream until
    /// graceful shutdown (or cancellation). Failures are logged and retried with backoff;
    /// they never end `run()`.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.follow() }
                group.addTask { await self.maintain() }
                group.addTask {
                    do { try await self.keys.prefetch() } catch {
                        self.logger.warning("key set not fetched; retried on the first request", metadata: ["error": "\(error)"])
                    }
                }
                await group.waitForAll()
            }
        }
        following.withLock { $0.connected = false }
        metrics.report(status)
    }

    private func follow() async {
        var attempt = 0
        var needState = true
        while !Task.isCancelled {
            var opened = false
            do {
                if needState {
                    try await loadState()
                    needState = false
                }
                try await stream(opened: &opened)
                logger.info("revocation stream ended by the server; reconnecting", metadata: ["position": "\(status.position)"])
            } catch let error as EdgeError where error.code == .positionUnknown {
                logger.warning("the server does not know our position; reloading the revocation state", metadata: ["reason": "\(error.reason)"])
                needState = true
                continue
            } catch {
                if Task.isCancelled { break }
                logger.warning("revocation stream failed; reconnecting", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
            }
            following.withLock { $0.connected = false }
            if opened { attempt = 0 }
            let delay = configuration.reconnect.delay(attempt: attempt, unit: Double.random(in: 0..<1))
            attempt += 1
            try? await Task.sleep(for: delay)
        }
    }

    /// Replaces the revoked set with the server's state (at start, and whenever the server
    /// no longer knows our position).
    private func loadState() async throws {
        let state = try await ServerCalls.fetchRevocationState(client, configuration)
        following.withLock { f in
            f.state = state
            f.loaded = true
            f.lastWord = .now
            // The server's head now: after a restore from an older backup it is lower than
            // the head seen before, and lag must be measured against it.
            f.serverPosition = state.position
            f.stateLoads += 1
        }
        metrics.stateLoads.increment()
        logger.info("revocation state loaded", metadata: ["position": "\(state.position)", "revoked": "\(state.count)"])
    }

    /// Opens the stream after our position and applies what it delivers until it ends.
    private func stream(opened: inout Bool) async throws {
        let position = following.withLock { $0.state.position }
        // The head first: it measures how far behind we are, and a head before our
        // position means the log was restored or replaced (the server's 409 says the same).
        let head = try await ServerCalls.fetchHead(client, configuration)
        guard head >= position else {
            throw EdgeError(.positionUnknown, "the server's log ends at position \(head), before ours (\(position))",
                            remedy: "none: the revocation state is reloaded")
        }
        following.withLock { $0.serverPosition = head }
        let response = try await ServerCalls.openStream(client, configuration, after: position)
        opened = true
        following.withLock { $0.connected = true; $0.connections += 1 }
        metrics.connections.increment()
        metrics.report(status)
        let lastByte = Moment()
        let idle = configuration.idleTimeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var parser = ServerSentEventParser()
                for try await chunk in response.body {
                    lastByte.set(.now)
                    for event in try parser.feed(chunk.readableBytesView) { try self.apply(event) }
                }
            }
            group.addTask {
                // A connection that died without a FIN delivers nothing, not even heartbeats.
                while true {
                    try await Task.sleep(for: idle / 4)
                    let silent = ContinuousClock.now - lastByte.get()
                    if silent > idle {
                        throw EdgeError(.server, "the stream delivered nothing for \(silent)", remedy: "none: it is reconnected")
                    }
                }
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    /// Applies one event of the stream: heartbeats advance the position; ending events add
    /// their sessions, each until its refuse-until time.
    func apply(_ event: ServerSentEvent) throws(EdgeError) {
        guard let id = event.id, let position = UInt64(id) else {
            throw EdgeError(.server, "an event without a log position as its id", remedy: "check that the URL is an AuthLedger server")
        }
        let ended = event.type == "heartbeat" ? [] : try StreamEvent.endedSessions(in: event.data)
        following.withLock { f in
            f.lastWord = .now
            f.serverPosition = max(f.serverPosition, position)
            // Positions only grow on one stream; anything at or before ours was applied.
            guard position > f.state.position else { return }
            for (session, until) in ended { f.state.insert(session, until: until) }
            // The stream carries no chain hashes, so the edge reports positions only.
            f.state.advance(to: position, chainHash: .zero)
        }
    }

    /// Drops entries past their refuse-until time and reports the metrics.
    private func maintain() async {
        while !Task.isCancelled {
            let now = configuration.clock.now()
            following.withLock { $0.state.prune(before: now) }
            metrics.report(status)
            try? await Task.sleep(for: configuration.maintenanceInterval)
        }
    }
}

/// An instant shared between the task reading a stream and its watchdog.
final class Moment: Sendable {
    private let value = Mutex(ContinuousClock.Instant.now)
    func set(_ instant: ContinuousClock.Instant) { value.withLock { $0 = instant } }
    func get() -> ContinuousClock.Instant { value.withLock { $0 } }
}
