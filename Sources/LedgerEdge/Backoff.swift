/// Reconnection delays: exponential, capped, with jitter so that many services cut off by
/// one server restart do not all come back in the same millisecond.
public struct Backoff: Sendable, Equatable {
    /// The first delay after a failure.
    public var initial: Duration
    /// The longest delay.
    public var maximum: Duration
    /// Each delay is drawn uniformly from `[(1 - jitter) × d, d]`, where `d` doubles per
    /// failed attempt up to ``maximum``.
    public var jitter: Double

    public init(initial: Duration = .milliseconds(100), maximum: Duration = .seconds(5), jitter: Double = 0.5) {
        self.initial = initial
        self.maximum = maximum
        self.jitter = min(max(jitter, 0), 1)
    }

    /// The delay before attempt `attempt` (0 after the first failure), with `unit` a
    /// random number in `0..<1`.
    public func delay(attempt: Int, unit: Double) -> Duration {
        var d = initial
        var i = 0
        while i < attempt && d < maximum {
            d *= 2
            i += 1
        }
        if d > maximum { d = maximum }
        return d * (1 - jitter * unit)
    }
}
