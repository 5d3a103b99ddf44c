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
        until[id] = max(until[id] ?? t, t)
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

/// A min-heap of (expiry, session) used to drop expired sessions from memory. Entries may be
/// stale (the session was refreshed since): a popped entry is checked against the session.
struct ExpiryQueue: Sendable {
    private var heap: [(Timestamp, SessionID)] = []

    mutating func push(_ t: Timestamp, _ id: SessionID) {
        heap.append((t, id))
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard heap[i].0 < heap[p].0 else { break }
            heap.swapAt(i, p)
            i = p
        }
    }

    var peek: (Timestamp, SessionID)? { heap.first }

    mutating func pop() -> (Timestamp, SessionID)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && heap[l].0 < heap[m].0 { m = l }
            if r < heap.count && heap[r].0 < heap[m].0 { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
        return top
    }

    var count: Int { heap.count }
}
