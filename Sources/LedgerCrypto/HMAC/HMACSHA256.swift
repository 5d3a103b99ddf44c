import CCrypto

/// HMAC-SHA-256 (RFC 2104) over libcrypto's SHA-256, with a key of at least 32 bytes. The
/// key itself is not kept, only its schedule.
public struct HMACSHA256: Sendable {
    private let schedule: KeySchedule

    /// The smallest key accepted: shorter HMAC-SHA-256 keys weaken the MAC (RFC 7518 §3.2).
    public static let minimumKeyBytes = 32

    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count >= Self.minimumKeyBytes else {
            throw CryptoError(.invalidKey, "an HMAC-SHA-256 key needs at least \(Self.minimumKeyBytes) bytes; got \(key.count)")
        }
        schedule = KeySchedule(key: key)
    }

    /// Accepts any key length, for test vectors that use short keys. Never for deployments.
    package init(unsafeShortKey key: [UInt8]) {
        schedule = KeySchedule(key: key)
    }

    /// A fresh random key.
    public static func generateKey() -> [UInt8] { SecureRandom.bytes(32) }

    public func authenticate<Bytes: ByteStorage>(bytes: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { m in out.withUnsafeMutableBytes { authenticate(m, into: $0) } }
        return out
    }

    /// Writes the MAC of `message` to the first 32 bytes of `tag`. Concrete rather than
    /// generic, so that callers in other modules (a refresh token on every refresh) run it
    /// without generic dispatch or an allocation.
    package func authenticate(_ message: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer) {
        precondition(tag.count >= 32, "HMAC-SHA-256 writes 32 bytes")
        authledger_hmac_sha256(schedule.inner, schedule.outer, message.baseAddress?.assumingMemoryBound(to: UInt8.self),
                               message.count, tag.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }

    /// Whether `tag` is the MAC of `message`, compared in constant time. Truncated tags are
    /// refused: every AuthLedger MAC is full length.
    public func isValid<Tag: ByteStorage, Bytes: ByteStorage>(tag: Tag, for message: Bytes) -> Bool {
        tag.withUnsafeBytes { $0.count } == 32 && constantTimeEquals(authenticate(bytes: message), tag)
    }
}

/// The key's schedule: SHA-256 states after the key's inner and outer pads, computed once.
///
/// `@unchecked Sendable`: written only in `init`, then only read (each MAC copies the
/// states), and wiped when released.
final class KeySchedule: @unchecked Sendable {
    let inner = UnsafeMutablePointer<SHA256_CTX>.allocate(capacity: 1)
    let outer = UnsafeMutablePointer<SHA256_CTX>.allocate(capacity: 1)

    init(key: [UInt8]) {
        key.withUnsafeBufferPointer { authledger_hmac_sha256_schedule($0.baseAddress, $0.count, inner, outer) }
    }

    deinit {
        OPENSSL_cleanse(inner, MemoryLayout<SHA256_CTX>.size)
        OPENSSL_cleanse(outer, MemoryLayout<SHA256_CTX>.size)
        inner.deallocate()
        outer.deallocate()
    }
}
