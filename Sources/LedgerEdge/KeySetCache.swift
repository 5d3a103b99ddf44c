import LedgerTokens
import Synchronization

/// The server's key set, fetched when needed and kept for its `Cache-Control: max-age`.
///
/// A token naming an unknown `kid` triggers one refetch (a key rotated on the server signs
/// its first tokens as soon as it is published), but no more than once per
/// ``EdgeConfiguration/unknownKeyRefetchInterval``; concurrent requests share one fetch.
final class KeySetCache: Sendable {
    struct Fetched: Sendable {
        let keys: JWKS
        let lifetime: Duration?
    }

    private struct State {
        var verifier: AccessTokenVerifier?
        var freshUntil: ContinuousClock.Instant = .now
        var lastUnknownKeyFetch: ContinuousClock.Instant?
        var inFlight: Task<AccessTokenVerifier, any Error>?
        var fetches = 0
    }

    private let state = Mutex(State())
    private let policy: VerificationPolicy
    private let refetchInterval: Duration
    private let defaultLifetime: Duration
    /// How long after a failed fetch the next one may start.
    private let retryAfterFailure: Duration
    private let fetch: @Sendable () async throws -> Fetched

    init(policy: VerificationPolicy, refetchInterval: Duration, defaultLifetime: Duration, retryAfterFailure: Duration = .seconds(1),
         fetch: @escaping @Sendable () async throws -> Fetched) {
        self.policy = policy
        self.retryAfterFailure = retryAfterFailure
        self.refetchInterval = refetchInterval
        self.defaultLifetime = defaultLifetime
        self.fetch = fetch
    }

    /// How many times the key set was fetched (or a fetch was attempted).
    var fetches: Int { state.withLock { $0.fetches } }
    var hasKeys: Bool { state.withLock { $0.verifier != nil } }

    /// Verifies `token` against the cached keys, refetching once for an unknown kid.
    func verify(_ token: String, now: Int64) async throws(EdgeError) -> AccessTokenClaims {
        let verifier = try await current()
        do {
            return try verifier.verify(token, now: now)
        } catch where error.check == .keyID {
            guard let refreshed = try await refreshForUnknownKey(seen: verifier) else { throw .invalid(error) }
            do { return try refreshed.verify(token, now: now) } catch { throw .invalid(error) }
        } catch {
            throw .invalid(error)
        }
    }

    /// The cached verifier; a stale one is used while a fresh one is fetched in the
    /// background, so an expired cache never holds a request up.
    func current() async throws(EdgeError) -> AccessTokenVerifier {
        let (verifier, stale) = state.withLock { s in (s.verifier, ContinuousClock.now >= s.freshUntil) }
        if let verifier {
            if stale { _ = startFetch() }
            return verifier
        }
        guard stale else {
            throw EdgeError(.keysUnavailable, "the key set could not be fetched a moment ago", remedy: "check that the server is reachable at the configured URL; retried within a second")
        }
        return try await wait(startFetch())
    }

    /// A fetch for an unknown kid, unless one happened within the interval. Returns nil
    /// when the keys did not change (or no fetch was allowed).
    private func refreshForUnknownKey(seen: AccessTokenVerifier) async throws(EdgeError) -> AccessTokenVerifier? {
        let task: Task<AccessTokenVerifier, any Error>? = state.withLock { s in
            // A fetch already completed since this verifier was read: use its keys.
            if let v = s.verifier, v.keys != seen.keys { return Task { v } }
            let now = ContinuousClock.now
            if let inFlight = s.inFlight { return inFlight }
            if let last = s.lastUnknownKeyFetch, now - last < refetchInterval { return nil }
            s.lastUnknownKeyFetch = now
            return startFetchLocked(&s)
        }
        guard let task else { return nil }
        let verifier = try await wait(task)
        return verifier.keys == seen.keys ? nil : verifier
    }

    /// Fetches now (at start, to have keys before the first request).
    func prefetch() async throws(EdgeError) { _ = try await wait(startFetch()) }

    private func startFetch() -> Task<AccessTokenVerifier, any Error> { state.withLock { startFetchLocked(&$0) } }

    private func startFetchLocked(_ s: inout State) -> Task<AccessTokenVerifier, any Error> {
        if let inFlight = s.inFlight { return inFlight }
        s.fetches += 1
        let task = Task { [self] in
            defer { state.withLock { $0.inFlight = nil } }
            let fetched: Fetched
            do { fetched = try await fetch() } catch {
                // Keep using the keys held, and do not try again on the very next request:
                // a server that is down must not receive one fetch per request.
                state.withLock { $0.freshUntil = .now + retryAfterFailure }
                throw error
            }
            let verifier = AccessTokenVerifier(keys: fetched.keys, policy: policy)
            state.withLock { s in
                s.verifier = verifier
                s.freshUntil = .now + (fetched.lifetime ?? defaultLifetime)
            }
            return verifier
        }
        s.inFlight = task
        return task
    }

    private func wait(_ task: Task<AccessTokenVerifier, any Error>) async throws(EdgeError) -> AccessTokenVerifier {
        do { return try await task.value } catch let error as EdgeError {
            throw error
        } catch {
            throw EdgeError(.keysUnavailable, "the key set could not be fetched: \(error)", remedy: "check that the server is reachable at the configured URL")
        }
    }
}
