import LedgerCrypto

/// The sessions whose access tokens must be refused, each until a time, as of a log
/// position: what a service that follows the log needs in order to refuse the tokens of
/// ended sessions at once.
///
/// Pure and I/O-free: it changes only by applying events in log order, so the engine's
/// projection and every follower (the edge library, a subscriber of the revocation
/// stream) reach the same set. A follower starts from the state the engine hands out for
/// a position (``AuthEvent`` schema 2 of the three ending events carries each session's
/// refuse-until time, so nothing else is needed), then applies the events after it.
/// See `docs/FOLLOWING.md`.
public struct RevocationState: Sendable {
    /// The last log position applied.
    public private(set) var position: UInt64
    /// The chain hash of the record at ``position`` (zero before the first record).
    public private(set) var chainHash: SHA256Digest
    /// Refuse-until time by session; entries whose time has passed may linger until the
    /// next ``prune(before:)`` but are never reported as refused.
    private var until: [SessionID: Timestamp] = [:]
    // Entries in the order they were added, for pruning from the front: refuse-until times
    // grow with the log's (non-decreasing) time, give or take one access-token lifetime,
    // so a stale entry waits at most that long behind a fresher one.
    private var queue: [(SessionID, Timestamp)] = []
    private var head = 0

    /// A state as of `position` (whose record has `chainHash`) holding `entries`.
    public init(position: UInt64 = 0, chainHash: SHA256Digest = .zero, entries: [(SessionID, Timestamp)] = []) {
        self.position = position
        self.chainHash = chainHash
        for (id, t) in entries { insert(id, until: t) }
    }

    /// Whether tokens of `id` must be refused at `now`.
    public func refuses(_ id: SessionID, at now: Timestamp) -> Bool { until[id].map { now < $0 } ?? false }

    /// Until when tokens of `id` are refused, if an entry is held (it may have passed).
    public func refusedUntil(_ id: SessionID) -> Timestamp? { until[id] }

    /// The sessions refused at `now`, by session id, each with its refuse-until time.
    public func refused(at now: Timestamp) -> [SessionID: Timestamp] { until.filter { now < $0.value } }

    /// The number of entries held (including any not yet pruned).
    public var count: Int { until.count }

    /// Refuses tokens of `id` until `t` (or later, if an entry is already later).
    public mutating func insert(_ id: SessionID, until t: Timestamp) {
        func raise(_ current: inout Timestamp) { if t > current { current = t } }
        raise(&until[id, default: t])
        queue.append((id, t))
    }

    /// Applies one event of the log at `position` (with that record's `chainHash`). Only the
    /// ending events of schema 2, which name each session and its refuse-until time, change
    /// the set; every other event only advances the position. (A schema 1
    /// `user.sessions_revoked` names no sessions: only the engine, which holds the user's
    /// sessions, can expand it; follow from a state taken after it.)
    public mutating func apply(_ event: AuthEvent, position: UInt64, chainHash: SHA256Digest) {
        switch event {
        case let .sessionEnded(e):
            if let t = e.refuseUntil { insert(e.session, until: t) }
        case let .sessionRevoked(e):
            if let t = e.refuseUntil { insert(e.session, until: t) }
        case let .userSessionsRevoked(e):
            for s in e.sessions ?? [] { insert(s.session, until: s.refuseUntil) }
        default:
            break
        }
        advance(to: position, chainHash: chainHash)
    }

    /// Applies a decoded record of the log.
    public mutating func apply(_ logged: LoggedEvent) {
        apply(logged.event, position: logged.position, chainHash: logged.chainHash)
    }

    /// Records that the log has been applied up to `position`.
    public mutating func advance(to position: UInt64, chainHash: SHA256Digest) {
        self.position = position
        self.chainHash = chainHash
    }

    /// Forgets entries that stopped mattering at or before `now`. Answers never depend on
    /// when this runs; it only bounds memory.
    public mutating func prune(before now: Timestamp) {
        while head < queue.count, queue[head].1 <= now {
            let (id, t) = queue[head]
            if let current = until[id], current <= t { until[id] = nil }
            head += 1
        }
        if head > 1024 && head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
    }

    /// The entries still queued for pruning, oldest first (what a snapshot stores).
    public var pending: [(SessionID, Timestamp)] { Array(queue[head...]) }
}
