import LedgerCodec
import LedgerLog
import Synchronization

/// Where the engine's tails wait and share their reads.
///
/// The writer publishes a position only after the batch up to it is applied to the
/// projection, so a subscriber never sees an event the engine's own queries do not yet
/// reflect. Each published batch becomes a ``Segment``; subscribers that are caught up all
/// start the next read at the same position, and those with the same filter share one
/// read and one decoding of it.
final class TailHub: Sendable {
    /// One published range of the log, read at most once per distinct filter.
    final class Segment: Sendable {
        let from: UInt64
        let through: UInt64
        /// The types of its records, if known (see ``TailHub/publish(through:first:types:)``).
        let types: Set<EventType>?
        private let reads = Mutex<[Set<EventType>?: [LoggedEvent]]>([:])

        /// How many times this segment was read from the log (once per distinct filter).
        let sharedReads = Atomic<Int>(0)

        init(from: UInt64, through: UInt64, types: Set<EventType>?) { self.from = from; self.through = through; self.types = types }

        /// Whether it may hold an event `filter` takes.
        func mayMatch(_ filter: Set<EventType>?) -> Bool {
            guard let filter, let types else { return true }
            return !types.isDisjoint(with: filter)
        }

        func events(matching filter: Set<EventType>?, in log: EventLog) throws -> [LoggedEvent] {
            // Under the lock: the other subscribers with this filter wait for this read
            // instead of making their own.
            try reads.withLock { cache in
                if let done = cache[filter] { return done }
                let events = try TailHub.read(log, from: from, through: through, matching: filter)
                sharedReads.add(1, ordering: .relaxed)
                cache[filter] = events
                return events
            }
        }
    }

    private struct Waiter {
        let filter: Set<EventType>?
        /// Whether ``wakeAll()`` wakes it (a follower that reports progress between batches).
        let wakeable: Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var published: UInt64
        var closed = false
        var segments: [Segment] = []
        var waiters: [UInt64: Waiter] = [:]
        var nextWaiter: UInt64 = 0
        /// How many times ``wakeAll()`` has been called.
        var wakes: UInt64 = 0
        /// The last published position of a batch holding each type.
        var lastWith: [EventType: UInt64] = [:]
        /// The last published position whose types are not known (records committed by
        /// others than the engine's writer, or before this hub started): anything may be there.
        var lastUnknown: UInt64

        /// The last published position that may hold an event `filter` lets through.
        func lastMatching(_ filter: Set<EventType>?) -> UInt64 {
            guard let filter else { return published }
            return filter.reduce(lastUnknown) { Swift.max($0, lastWith[$1] ?? 0) }
        }
    }

    private let state: Mutex<State>
    /// How many recent segments are kept for subscribers that are a little behind.
    private static let keptSegments = 64

    init(published: UInt64) { state = Mutex(State(published: published, lastUnknown: published)) }

    /// The segments kept, oldest first (for tests of shared reads).
    var segmentsForTesting: [Segment] { state.withLock { $0.segments } }

    /// The newest position whose effects the engine's queries reflect.
    var published: UInt64 { state.withLock { $0.published } }

    /// Called by the writer once everything up to `position` is applied.
    /// - Parameters:
    ///   - first: the first position of the writer's own records in this batch; records
    ///     before it (committed by others since the last publication) are of unknown type.
    ///   - types: the types of the writer's records, or nil if unknown. Only tails whose
    ///     filter takes one of them are woken: a revocation subscriber sleeps through
    ///     rotations, the bulk of the log.
    func publish(through position: UInt64, first: UInt64? = nil, types: Set<EventType>? = nil) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.closed, position > s.published else { return [] }
            let known = types != nil && first == s.published + 1
            s.segments.append(Segment(from: s.published + 1, through: position, types: known ? types : nil))
            if s.segments.count > Self.keptSegments { s.segments.removeFirst(s.segments.count - Self.keptSegments) }
            s.published = position
            if known, let types {
                for t in types { s.lastWith[t] = position }
            } else {
                s.lastUnknown = position
            }
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, w) in s.waiters {
                if !known || w.filter == nil || !w.filter!.isDisjoint(with: types!) {
                    woken.append(w.continuation)
                    s.waiters[id] = nil
                }
            }
            return woken
        }
        for c in ready { c.resume() }
    }

    /// The newest position a tail with `filter` may report as examined, having delivered
    /// everything through `position`: the published head if nothing it takes has been
    /// published since, else `position` (for heartbeats that move a subscriber's resume
    /// point over stretches it would never be woken for).
    func quietThrough(after position: UInt64, filter: Set<EventType>?) -> UInt64 {
        state.withLock { s in s.lastMatching(filter) <= position ? Swift.max(position, s.published) : position }
    }

    /// How many times ``wakeAll()`` has been called: a follower that saw fewer was woken.
    var wakes: UInt64 { state.withLock { $0.wakes } }

    /// Wakes every follower waiting with ``wait(after:filter:wakeableSince:)``, whatever
    /// was published: the owner of a stream of them (the HTTP server) does this on its
    /// heartbeat interval and at shutdown, instead of each follower keeping a timer.
    func wakeAll() {
        let woken = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.wakes &+= 1
            var woken: [CheckedContinuation<Void, Never>] = []
            for (id, w) in s.waiters where w.wakeable {
                woken.append(w.continuation)
                s.waiters[id] = nil
            }
            return woken
        }
        for c in woken { c.resume() }
    }

    /// Ends every tail: the engine is shutting down.
    func close() {
        let all = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters = [:] }
            return s.waiters.values.map(\.continuation)
        }
        for c in all { c.resume() }
    }

    /// What a tail at `next` should do now.
    enum Step {
        /// Read this segment (and pass over what lies between the tail's position and it,
        /// which holds nothing the filter takes).
        case read(Segment)
        case catchUp(through: UInt64)
        /// Nothing the tail's filter takes was published from its position through this one.
        case skip(through: UInt64)
        case wait
        case closed
    }

    func step(at next: UInt64, filter: Set<EventType>?) -> Step {
        state.withLock { s in
            if s.closed { return .closed }
            guard next <= s.published else { return .wait }
            if filter != nil && s.lastMatching(filter) < next { return .skip(through: s.published) }
            if var i = s.segments.firstIndex(where: { $0.from == next }) {
                // A woken filtered tail passes over the batches it slept through (none holds
                // a type it takes) and reads the one that woke it, as one batch.
                while i < s.segments.count - 1 && !s.segments[i].mayMatch(filter) { i += 1 }
                return .read(s.segments[i])
            }
            return .catchUp(through: s.published)
        }
    }

    /// Suspends until a position after `position` that may hold an event `filter` takes is
    /// published, the hub closes, or the task is cancelled; and, given `wakeableSince` (the
    /// ``wakes`` count the caller last saw), also on ``wakeAll()``, including one that came
    /// before this call.
    func wait(after position: UInt64, filter: Set<EventType>?, wakeableSince: UInt64? = nil) async {
        let id = state.withLock { s -> UInt64 in s.nextWaiter += 1; return s.nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.closed || s.lastMatching(filter) > position || Task.isCancelled { return true }
                    if let seen = wakeableSince, seen != s.wakes { return true }
                    s.waiters[id] = Waiter(filter: filter, wakeable: wakeableSince != nil, continuation: c)
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let w = state.withLock { $0.waiters.removeValue(forKey: id) }
            w?.continuation.resume()
        }
    }

    /// The events from `from` through `through` whose type is in `filter` (all if nil),
    /// decoded; records of other types are skipped on their type byte, before any copy,
    /// and so are annotations this build does not know.
    static func read(_ log: EventLog, from: UInt64, through: UInt64, matching filter: Set<EventType>?) throws -> [LoggedEvent] {
        var out: [LoggedEvent] = []
        try log.scan(from: from, through: through) { view in
            if view.isUnknownAnnotation { return true }
            if let filter {
                guard let type = EventType(rawValue: view.type), filter.contains(type) else { return true }
            }
            out.append(try LoggedEvent(view: view))
            return true
        }
        return out
    }
}
