import Glibc

/// A point in time as microseconds since the Unix epoch (UTC): the resolution every
/// event carries, small enough to store in 8 bytes and fine enough to order commits.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    /// Seconds since the epoch; values beyond ±292,000 years saturate rather than trap.
    public init(seconds: Int64) {
        let (v, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000)
        self.microseconds = overflow ? (seconds < 0 ? .min : .max) : v
    }

    /// Whole seconds since the epoch (JWT `iat`/`exp` resolution).
    /// Whole seconds, rounded down (no overflow at any value).
    public var seconds: Int64 {
        let (q, r) = microseconds.quotientAndRemainder(dividingBy: 1_000_000)
        return r < 0 ? q - 1 : q
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public func adding(seconds: Int64) -> Timestamp { Timestamp(microseconds: microseconds &+ seconds &* 1_000_000) }
    public func adding(microseconds: Int64) -> Timestamp { Timestamp(microseconds: self.microseconds + microseconds) }

    /// RFC 3339 in UTC with microseconds, e.g. `2026-11-29T04:17:47.123456Z`.
    public var description: String {
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        let r = microseconds % 1_000_000
        let micros = Int(r < 0 ? r + 1_000_000 : r)
        func pad(_ v: Int32, _ w: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        let frac = String(micros)
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))."
            + String(repeating: "0", count: 6 - frac.count) + frac + "Z"
    }
}

/// Where events get their time. Injected, so tests control time exactly.
public protocol LedgerClock: Sendable {
    func now() -> Timestamp
}

/// The system's real-time clock.
public struct SystemClock: LedgerClock {
    public init() {}
    public func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }
}
