import LedgerLog
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
