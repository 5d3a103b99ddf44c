import LedgerCodec
import LedgerLog

/// The engine's events from a position on, as they are applied: an `AsyncSequence` of
/// batches, each covering every record up to ``Batch/through`` and holding those whose
/// type passes the filter. No gap, no duplicate, no reordering; a batch arrives only after
/// the engine's own queries reflect it. The sequence ends by throwing
/// ``EngineError/Kind/shuttingDown`` when the engine shuts down, and returns nil when the
/// task is cancelled. A filtered tail is woken only for commits that may hold one of its
/// types (and for records committed outside the engine's writer, whose types it is not
/// told): a revocation subscriber sleeps through rotations. ``quietThrough(after:)`` says
/// how far it may report itself examined meanwhile.
public struct EngineTail: AsyncSequence, Sendable {
    public struct Batch: Sendable, Equatable {
        /// The events of the batch that match the filter, in log order.
        public let events: [LoggedEvent]
        /// Every record up to this position has been examined: a subscriber resumes after it.
        public let through: UInt64
    }

    let hub: TailHub
    let log: EventLog
    let start: UInt64
    let filter: Set<EventType>?

    /// The newest position a subscriber that has received every event of this tail through
    /// `position` may resume after: later if nothing this tail's filter takes has been
    /// published since. A filtered tail is woken only for batches that may hold its types,
    /// so a heartbeat uses this to move the subscriber on over long stretches without them.
    public func quietThrough(after position: UInt64) -> UInt64 { hub.quietThrough(after: position, filter: filter) }

    public func makeAsyncIterator() -> Iterator { Iterator(hub: hub, log: log, next: Swift.max(start, 1), filter: filter, wakesSeen: hub.wakes) }

    /// What ``Iterator/nextOrWake()`` returns.
    public enum Wake: Sendable, Equatable {
        case batch(Batch)
        /// ``AuthEngine/wakeTails()`` was called since the last call: time for a heartbeat,
        /// or to check whether to stop.
        case woken
    }

    public struct Iterator: AsyncIteratorProtocol {
        let hub: TailHub
        let log: EventLog
        var next: UInt64
        let filter: Set<EventType>?
        var wakesSeen: UInt64
        /// A subscriber far behind catches up in reads of at most this many records.
        static let catchUpRecords: UInt64 = 4_096

        public mutating func next() async throws -> Batch? {
            while true {
                switch try await step(wakeable: false) {
                case nil: return nil
                case let .batch(batch)?: return batch
                case .woken?: continue
                }
            }
        }

        /// The next batch, or ``Wake/woken`` once ``AuthEngine/wakeTails()`` has been called
        /// since the last call (before any batch: a follower catching up still hears it);
        /// nil if the task is cancelled. One task can so follow the log and keep a
        /// heartbeat without a timer of its own.
        public mutating func nextOrWake() async throws -> Wake? {
            try await step(wakeable: true)
        }

        private mutating func step(wakeable: Bool) async throws -> Wake? {
            while true {
                if Task.isCancelled { return nil }
                if let ready = try poll(wakeable: wakeable) { return ready }
                await hub.wait(after: next - 1, filter: filter, wakeableSince: wakeable ? wakesSeen : nil)
            }
        }

        /// Everything but the wait: nil when there is nothing to hand over yet.
        private mutating func poll(wakeable: Bool) throws -> Wake? {
            if wakeable {
                let wakes = hub.wakes
                if wakes != wakesSeen {
                    wakesSeen = wakes
                    return .woken
                }
            }
            switch hub.step(at: next, filter: filter) {
            case .closed:
                throw EngineError(.shuttingDown, "the engine shut down; resume from position \(next) against the next instance")
            case .wait:
                return nil
            case let .skip(through):
                next = through + 1
                return .batch(Batch(events: [], through: through))
            case let .read(segment):
                let events = try segment.events(matching: filter, in: log)
                next = segment.through + 1
                return .batch(Batch(events: events, through: segment.through))
            case let .catchUp(published):
                let through = Swift.min(published, next + Self.catchUpRecords - 1)
                let events = try TailHub.read(log, from: next, through: through, matching: filter)
                next = through + 1
                return .batch(Batch(events: events, through: through))
            }
        }
    }
}
