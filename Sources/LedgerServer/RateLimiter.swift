import LedgerCodec
import Synchronization

/// A token bucket per client address, as a value with the time passed in, so its rule is
/// tested without a clock or a server.
struct TokenBuckets: Sendable {
    let perMinute: Int
    let burst: Int
    /// Beyond this many addresses the full buckets are forgotten (a full bucket is the same
    /// as no bucket), so a flood of addresses cannot grow the table without bound.
    let maxAddresses: Int
    private var buckets: [IPAddress: (tokens: Double, at: Int64)] = [:]

    init(perMinute: Int, burst: Int, maxAddresses: Int = 100_000) {
        self.perMinute = perMinute; self.burst = burst; self.maxAddresses = maxAddresses
    }

    /// Takes one token for `address` at `now` (microseconds). Returns nil when allowed, or
    /// the whole seconds to wait before a token is there.
    mutating func take(_ address: IPAddress, now: Int64) -> Int? {
        guard perMinute > 0 else { return nil }
        let rate = Double(perMinute) / 60_000_000   // tokens per microsecond
        var bucket = buckets[address] ?? (Double(burst), now)
        bucket.tokens = min(Double(burst), bucket.tokens + Double(max(0, now - bucket.at)) * rate)
        bucket.at = now
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            buckets[address] = bucket
            if buckets.count > maxAddresses { forgetFull(now: now, rate: rate) }
            return nil
        }
        buckets[address] = bucket
        return max(1, Int(((1 - bucket.tokens) / rate / 1_000_000).rounded(.up)))
    }

    private mutating func forgetFull(now: Int64, rate: Double) {
        buckets = buckets.filter { _, b in b.tokens + Double(now - b.at) * rate < Double(burst) }
    }
}

/// ``TokenBuckets`` shared by all requests.
final class RateLimiter: Sendable {
    private let buckets: Mutex<TokenBuckets>
    private let clock: any LedgerClock

    init(_ limit: RateLimit, clock: any LedgerClock) {
        buckets = Mutex(TokenBuckets(perMinute: limit.perMinute, burst: limit.burst))
        self.clock = clock
    }

    /// Throws 429 with `Retry-After` when `address` has no token left.
    func admit(_ address: IPAddress) throws {
        let now = clock.now().microseconds
        if let wait = buckets.withLock({ $0.take(address, now: now) }) { throw Problem.rateLimited(retryAfter: wait) }
    }
}
