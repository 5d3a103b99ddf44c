import CCrypto

/// HMAC-SHA-256 (RFC 2104) over libcrypto, with a key of at least 32 bytes.
///
/// `@unchecked Sendable`: the key bytes are immutable after `init`.
public struct HMACSHA256: Sendable {
    private let key: [UInt8]

    /// The smallest key accepted: shorter HMAC-SHA-256 keys weaken the MAC (RFC 7518 §3.2).
    public static let minimumKeyBytes = 32

    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count >= Self.minimumKeyBytes else {
            throw CryptoError(.invalidKey, "an HMAC-SHA-256 key needs at least \(Self.minimumKeyBytes) bytes; got \(key.count)")
        }
        self.key = key
    }

    /// Accepts any key length, for test vectors that use short keys. Never for deployments.
    public init(unsafeShortKey key: [UInt8]) { self.key = key }

    /// A fresh random key.
    public static func generateKey() -> [UInt8] { SecureRandom.bytes(32) }

    /// The 32-byte tag of the concatenation of `parts`.
    public func authenticate(_ parts: [UInt8]...) -> [UInt8] {
        authenticate(parts: parts)
    }

    public func authenticate(parts: [[UInt8]]) -> [UInt8] {
        var message = [UInt8]()
        message.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { message += p }
        return authenticate(bytes: message)
    }

    public func authenticate<Bytes: ContiguousBytes>(bytes: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = key.withUnsafeBytes { k in
            bytes.withUnsafeBytes { m in
                out.withUnsafeMutableBufferPointer { o in
                    HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress?.assumingMemoryBound(to: UInt8.self), m.count, o.baseAddress, &length)
                }
            }
        }
        precondition(ok != nil && length == 32, "HMAC-SHA-256 failed inside libcrypto")
        return out
    }

    /// Whether `tag` is the MAC of `message`, compared in constant time. Truncated tags are
    /// refused: every AuthLedger MAC is full length.
    public func isValid<Bytes: ContiguousBytes>(tag: [UInt8], for message: Bytes) -> Bool {
        tag.count == 32 && constantTimeEquals(authenticate(bytes: message), tag)
    }
}
