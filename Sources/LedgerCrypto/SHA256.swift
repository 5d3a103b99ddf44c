import CCrypto

/// A SHA-256 digest held inline (no heap allocation), comparable in constant time.
public struct SHA256Digest: Hashable, Sendable, CustomStringConvertible {
    // Four words rather than an array so a digest costs no allocation on the hot path.
    public var w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64

    /// The all-zero digest: the chain value "before" the first record of a log.
    public static let zero = SHA256Digest(w0: 0, w1: 0, w2: 0, w3: 0)

    public init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// Reads a digest from exactly 32 bytes; returns nil for any other length.
    public init?<Bytes: Collection>(bytes: Bytes) where Bytes.Element == UInt8 {
        guard bytes.count == 32 else { return nil }
        var words = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        withUnsafeMutableBytes(of: &words) { dst in
            for (i, b) in bytes.enumerated() { dst[i] = b }
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    /// Reads a digest from exactly 32 bytes of memory; nil for any other length.
    package init?(bytes raw: UnsafeRawBufferPointer) {
        guard raw.count == 32 else { return nil }
        self.init(w0: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), w1: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                  w2: raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), w3: raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// Calls `body` with the 32 digest bytes.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var words = (w0, w1, w2, w3)
        return try Swift.withUnsafeBytes(of: &words, body)
    }

    /// The 32 digest bytes.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lower-case hexadecimal, the form logs and tools print.
    public var hex: String { bytes.hexString }
    public var description: String { hex }

    /// Parses 64 hexadecimal characters.
    public init?(hex: String) {
        guard let bytes = [UInt8](hex: hex), let d = SHA256Digest(bytes: bytes) else { return nil }
        self = d
    }

    /// Compares two digests without an early exit, for secrets derived from digests.
    public func constantTimeEquals(_ other: SHA256Digest) -> Bool {
        ((w0 ^ other.w0) | (w1 ^ other.w1) | (w2 ^ other.w2) | (w3 ^ other.w3)) == 0
    }
}

/// SHA-256 over libcrypto's EVP interface.
///
/// A `SHA256` value owns one `EVP_MD_CTX` and reuses it for every hash, so hashing
/// allocates nothing after creation. It is not thread-safe: give each thread its own.
public final class SHA256 {
    private let ctx: OpaquePointer
    private var initialised = false

    public init() {
        guard let ctx = EVP_MD_CTX_new() else { fatalError("EVP_MD_CTX_new failed: out of memory") }
        self.ctx = ctx
    }

    deinit { EVP_MD_CTX_free(ctx) }

    /// The SHA-256 implementation, fetched from the default provider once per process:
    /// OpenSSL 3 otherwise looks it up again on every `EVP_DigestInit_ex(EVP_sha256())`.
    nonisolated(unsafe) private static let method: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("libcrypto has no SHA256 implementation") }
        return md
    }()

    /// Hashes the concatenation of up to three byte ranges (no array is built, so this
    /// is allocation-free on the log's hot path).
    package func hash(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
                     _ c: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)) -> SHA256Digest {
        // After the first hash, re-initialising with a nil type reuses the fetched method.
        var ok = EVP_DigestInit_ex2(ctx, initialised ? nil : Self.method, nil)
        initialised = true
        if a.count > 0 { ok &= EVP_DigestUpdate(ctx, a.baseAddress, a.count) }
        if b.count > 0 { ok &= EVP_DigestUpdate(ctx, b.baseAddress, b.count) }
        if c.count > 0 { ok &= EVP_DigestUpdate(ctx, c.baseAddress, c.count) }
        return finish(ok)
    }

    private func finish(_ ok: Int32) -> SHA256Digest {
        var ok = ok
        var out = SHA256Digest.zero
        withUnsafeMutableBytes(of: &out) { dst in
            ok &= EVP_DigestFinal_ex(ctx, dst.baseAddress!.assumingMemoryBound(to: UInt8.self), nil)
        }
        precondition(ok == 1, "SHA-256 failed inside libcrypto")
        return out
    }

    /// Hashes `bytes` with libcrypto's one-shot digest and the pre-fetched method.
    package static func oneShot(_ bytes: UnsafeRawBufferPointer) -> SHA256Digest {
        var out = SHA256Digest.zero
        let ok = withUnsafeMutableBytes(of: &out) { dst in
            EVP_Digest(bytes.baseAddress, bytes.count, dst.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, method, nil)
        }
        precondition(ok == 1, "SHA-256 failed inside libcrypto")
        return out
    }

    /// Hashes a byte array in one call.
    public static func hash<Bytes: ByteStorage>(_ bytes: Bytes) -> SHA256Digest {
        let h = SHA256()
        return bytes.withUnsafeBytes { h.hash($0) }
    }
}
