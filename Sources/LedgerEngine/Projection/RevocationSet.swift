import LedgerEvents
import LedgerLog

/// Sessions whose access tokens must be refused, each only until its last access token has
/// expired: memory stays bounded by the revocations of one access-token lifetime.
struct RevocationSet: Sendable, Equatable {
    private(set) var until: [SessionID: Timestamp] = [:]
    // Revocations in the order they happened, for pruning from the front.
    private var queue: [(SessionID, Timestamp)] = []
    private var head = 0

    static func == (a: RevocationSet, b: RevocationSet) -> Bool { a.until == b.until }

    mutating func insert(_ id: SessionID, until t: Timestamp) {
        // One lookup: the defaulted subscript inserts `t` or raises what is there to it.
        func raise(_ current: inout Timestamp) { if t > current { current = t } }
        raise(&until[id, default: t])
        queue.append((id, t))
    }

    func contains(_ id: SessionID, at now: Timestamp) -> Bool { (until[id]).map { now < $0 } ?? false }

    /// Forgets entries whose last access token has expired by `now`. Entries are pruned in
    /// the order they were revoked; revocation times follow the log, so the front of the
    /// queue is always the oldest.
    mutating func prune(before now: Timestamp) {
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

    var count: Int { until.count }

    /// The revocations still queued for pruning, oldest first (what a snapshot stores).
    var pending: [(SessionID, Timestamp)] { Array(queue[head...]) }

    /// Rebuilds the set from ``pending`` entries, in their order.
    init(pending: [(SessionID, Timestamp)]) {
        for (id, t) in pending { insert(id, until: t) }
    }

    init() {}
}
