import CCrypto

import Glibc
import Synchronization

/// HMAC-SHA-256 (RFC 2104) over libcrypto, with a key of at least 32 bytes.
public struct HMACSHA256: Sendable {
    private let key: [UInt8]
    private let contexts: MACContextPool

    /// The smallest key accepted: shorter HMAC-SHA-256 keys weaken the MAC (RFC 7518 §3.2).
    public static let minimumKeyBytes = 32

    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count >= Self.minimumKeyBytes else {
            throw CryptoError(.invalidKey, "an HMAC-SHA-256 key needs at least \(Self.minimumKeyBytes) bytes; got \(key.count)")
        }
        self.key = key
        contexts = MACContextPool(key: key)
    }

    /// Accepts any key length, for test vectors that use short keys. Never for deployments.
    public init(unsafeShortKey key: [UInt8]) {
        self.key = key
        contexts = MACContextPool(key: key)
    }

    /// A fresh random key.
    public static func generateKey() -> [UInt8] { SecureRandom.bytes(32) }

    public func authenticate<Bytes: ContiguousBytes>(bytes: Bytes) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeBytes { m in out.withUnsafeMutableBytes { authenticate(m, into: $0) } }
        return out
    }

    /// Writes the MAC of `message` to the first 32 bytes of `tag`. Concrete rather than
    /// generic, so that callers in other modules (a refresh token on every refresh) run it
    /// without generic dispatch or an allocation.
    public func authenticate(_ message: UnsafeRawBufferPointer, into tag: UnsafeMutableRawBufferPointer) {
        precondition(tag.count >= 32, "HMAC-SHA-256 writes 32 bytes")
        guard let ctx = contexts.pool.take() else { fatalError("EVP_MAC_CTX_dup failed: out of memory") }
        defer { contexts.pool.give(ctx) }
        var length = 0
        let ok = EVP_MAC_init(ctx, nil, 0, nil) == 1
            && EVP_MAC_update(ctx, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count) == 1
            && EVP_MAC_final(ctx, tag.baseAddress?.assumingMemoryBound(to: UInt8.self), &length, 32) == 1
        precondition(ok && length == 32, "HMAC-SHA-256 failed inside libcrypto")
    }

    /// Whether `tag` is the MAC of `message`, compared in constant time. Truncated tags are
    /// refused: every AuthLedger MAC is full length.
    public func isValid<Tag: ContiguousBytes, Bytes: ContiguousBytes>(tag: Tag, for message: Bytes) -> Bool {
        tag.withUnsafeBytes { $0.count } == 32 && constantTimeEquals(authenticate(bytes: message), tag)
    }
}

/// Keyed `EVP_MAC_CTX`s ready for reuse: re-initialising a keyed context is several times
/// cheaper than the one-shot `HMAC()`, which looks up the MAC and the digest on every call.
/// Contexts are duplicated from a keyed template.
///
/// `@unchecked Sendable`: the template is only ever duplicated after `init` (which OpenSSL
/// allows concurrently) and freed last.
final class MACContextPool: @unchecked Sendable {
    private let template: PooledContext
    let pool: ContextPool

    nonisolated(unsafe) private static let hmac: OpaquePointer = {
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { fatalError("libcrypto has no HMAC implementation") }
        return mac
    }()

    init(key: [UInt8]) {
        guard let ctx = EVP_MAC_CTX_new(Self.hmac) else { fatalError("EVP_MAC_CTX_new failed: out of memory") }
        // OSSL_PARAM keeps pointers to its name and value, so both must outlive the call:
        // C strings owned here, not temporaries bridged from Swift strings.
        let name = strdup("digest")!, value = strdup("SHA256")!
        defer { free(name); free(value) }
        var params = [OSSL_PARAM_construct_utf8_string(name, value, 0), OSSL_PARAM_construct_end()]
        // A zero-length key is legal HMAC; give libcrypto a valid pointer all the same.
        let ok = (key.isEmpty ? [0] : key).withUnsafeBufferPointer { k in
            EVP_MAC_init(ctx, k.baseAddress, key.count, &params)
        }
        precondition(ok == 1, "HMAC initialisation failed inside libcrypto")
        let template = PooledContext(pointer: ctx)
        self.template = template
        pool = ContextPool(make: { EVP_MAC_CTX_dup(template.pointer) }, free: { EVP_MAC_CTX_free($0) })
    }

    deinit { EVP_MAC_CTX_free(template.pointer) }
}
