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
        private let reads = Mutex<[Set<EventType>?: [LoggedEvent]]>([:])

        /// How many times this segment was read from the log (once per distinct filter).
        let sharedReads = Atomic<Int>(0)

        init(from: UInt64, through: UInt64) { self.from = from; self.through = through }

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

    private struct State {
        var published: UInt64
        var closed = false
        var segments: [Segment] = []
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state: Mutex<State>
    /// How many recent segments are kept for subscribers that are a little behind.
    private static let keptSegments = 64

    init(published: UInt64) { state = Mutex(State(published: published)) }

    /// The segments kept, oldest first (for tests of shared reads).
    var segmentsForTesting: [Segment] { state.withLock { $0.segments } }

    /// The newest position whose effects the engine's queries reflect.
    var published: UInt64 { state.withLock { $0.published } }

    /// Called by the writer once everything up to `position` is applied.
    func publish(through position: UInt64) {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard !s.closed, position > s.published else { return [] }
            s.segments.append(Segment(from: s.published + 1, through: position))
            if s.segments.count > Self.keptSegments { s.segments.removeFirst(s.segments.count - Self.keptSegments) }
            s.published = position
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for c in ready { c.resume() }
    }

    /// Ends every tail: the engine is shutting down.
    func close() {
        let all = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.closed = true
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for c in all { c.resume() }
    }

    /// What a tail at `next` should do now.
    enum Step {
        case read(Segment)
        case catchUp(through: UInt64)
        case wait
        case closed
    }

    func step(at next: UInt64) -> Step {
        state.withLock { s in
            if s.closed { return .closed }
            guard next <= s.published else { return .wait }
            if let segment = s.segments.first(where: { $0.from == next }) { return .read(segment) }
            return .catchUp(through: s.published)
        }
    }

    /// Suspends until a position after `position` is published, the hub closes, or the
    /// task is cancelled.
    func wait(after position: UInt64) async {
        let id = state.withLock { s -> UInt64 in s.nextWaiter += 1; return s.nextWaiter }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    if s.closed || s.published > position || Task.isCancelled { return true }
                    s.waiters[id] = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let c = state.withLock { $0.waiters.removeValue(forKey: id) }
            c?.resume()
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
