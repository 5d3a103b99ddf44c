import CCrypto

/// Randomness from libcrypto's CSPRNG (`RAND_bytes`), seeded by the operating system.
public enum SecureRandom {
    /// Fills `buffer` with unpredictable bytes.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard buffer.count > 0 else { return }
        // RAND_bytes fails only if the OS entropy source is unavailable; continuing
        // would mint guessable secrets, so stopping is the only safe answer.
        let rc = RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(buffer.count))
        precondition(rc == 1, "RAND_bytes failed: the operating system's entropy source is unavailable")
    }

    /// `count` unpredictable bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        out.withUnsafeMutableBytes { fill($0) }
        return out
    }

    /// An unpredictable 64-bit word.
    public static func word() -> UInt64 {
        var w: UInt64 = 0
        withUnsafeMutableBytes(of: &w) { fill($0) }
        return w
    }
}
