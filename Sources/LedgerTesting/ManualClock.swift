import LedgerCodec

import Synchronization

/// A clock that only moves when told to, for tests of lifetimes and grace windows.
public final class ManualClock: LedgerClock {
    private let current: Mutex<Timestamp>

    /// Starts at `start` (default 2026-01-01T00:00:00Z).
    public init(start: Timestamp = Timestamp(seconds: 1_767_225_600)) { current = Mutex(start) }

    public func now() -> Timestamp { current.withLock { $0 } }

    /// Moves time forward by `seconds`.
    public func advance(seconds: Int64) { current.withLock { $0 = $0.adding(seconds: seconds) } }

    /// Moves time forward by `microseconds`.
    public func advance(microseconds: Int64) { current.withLock { $0 = $0.adding(microseconds: microseconds) } }

    /// Sets the time.
    public func set(_ t: Timestamp) { current.withLock { $0 = t } }
}

/// A clock that moves forward by `step` on every read, so that no two readings are equal:
/// code that reads the time twice where it should read it once shows up in tests.
public final class SteppingClock: LedgerClock {
    private let current: Mutex<Timestamp>
    public let step: Int64

    /// Starts at `start`; each reading returns the time and then moves it `step` µs on.
    public init(start: Timestamp = Timestamp(seconds: 1_767_225_600), step microseconds: Int64 = 1_000) {
        current = Mutex(start)
        step = microseconds
    }

    public func now() -> Timestamp {
        current.withLock { t in
            defer { t = t.adding(microseconds: step) }
            return t
        }
    }

    /// Moves time forward by `microseconds` (besides the steps of each reading).
    public func advance(microseconds: Int64) { current.withLock { $0 = $0.adding(microseconds: microseconds) } }

    /// Sets the time of the next reading.
    public func set(_ t: Timestamp) { current.withLock { $0 = t } }
}
