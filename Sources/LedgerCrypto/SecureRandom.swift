import CCrypto

import Synchronization

/// Randomness from libcrypto's CSPRNG (`RAND_bytes`), seeded by the operating system.
public enum SecureRandom {
    /// CSPRNG output fetched 4 KiB at a time and handed out in small pieces: one
    /// `RAND_bytes` call costs about as much as signing's hashing, far more than 16 bytes
    /// are worth. Bytes are handed out once and never reused.
    private static let pool = Mutex<(bytes: [UInt8], used: Int)>(([UInt8](repeating: 0, count: 4096), 4096))

    /// `count` (at most 256) unpredictable bytes from the buffered pool.
    package static func bufferedBytes(_ count: Int) -> [UInt8] {
        precondition(count <= 256, "bufferedBytes serves small requests; use bytes(_:)")
        return pool.withLock { p in
            if p.used + count > p.bytes.count {
                p.bytes.withUnsafeMutableBytes { fill($0) }
                p.used = 0
            }
            defer {
                // Wipe what was handed out, so the pool never holds a copy of it.
                for i in p.used..<(p.used + count) { p.bytes[i] = 0 }
                p.used += count
            }
            return Array(p.bytes[p.used..<(p.used + count)])
        }
    }

    /// Fills `buffer` with unpredictable bytes.
    package static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
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
