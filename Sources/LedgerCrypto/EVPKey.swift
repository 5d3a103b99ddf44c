import CCrypto

/// Owns one `EVP_PKEY` and does the EVP sign/verify calls shared by every algorithm.
///
/// `@unchecked Sendable`: the key is never modified after creation, and OpenSSL 3 allows
/// concurrent signing and verification with one `EVP_PKEY` as long as each operation has
/// its own `EVP_MD_CTX`, which every method here creates.
final class EVPKey: @unchecked Sendable {
    let pkey: OpaquePointer

    init(taking pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }

    /// Generates a key of `algorithm` ("EC" with group "P-256", or "ED25519").
    static func generate(_ algorithm: String, group: String? = nil) throws(CryptoError) -> EVPKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, algorithm, nil) else { throw .library("create a \(algorithm) key context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw .library("start \(algorithm) key generation") }
        if let group, EVP_PKEY_CTX_set_group_name(ctx, group) != 1 { throw .library("select curve \(group)") }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else { throw .library("generate a \(algorithm) key") }
        return EVPKey(taking: key)
    }

    /// SHA-256, fetched from the provider once: passing `EVP_sha256()` makes OpenSSL 3 look
    /// the implementation up by name on every operation.
    nonisolated(unsafe) static let sha256: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA256", nil) else { fatalError("libcrypto has no SHA256 implementation") }
        return md
    }()

    /// A digest context for one operation. FINALISE tells OpenSSL the context will not be
    /// reused after the final call, which spares it a copy of the key context per signature.
    private static func context() -> OpaquePointer? {
        guard let ctx = EVP_MD_CTX_new() else { return nil }
        EVP_MD_CTX_set_flags(ctx, EVP_MD_CTX_FLAG_FINALISE)
        return ctx
    }

    /// The largest signature this key makes.
    var maxSignatureSize: Int { Int(EVP_PKEY_get_size(pkey)) }

    /// Signs `message` into `out` (resized to the signature); `digest` is nil for Ed25519,
    /// which hashes internally.
    func sign(_ message: UnsafeRawBufferPointer, digest: OpaquePointer?, into out: inout [UInt8]) throws(CryptoError) {
        guard let ctx = Self.context() else { throw .library("allocate a signing context") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, digest, nil, pkey) == 1 else { throw .library("start signing") }
        var length = maxSignatureSize
        if out.count < length { out = [UInt8](repeating: 0, count: length) }
        let base = message.baseAddress?.assumingMemoryBound(to: UInt8.self)
        let ok = out.withUnsafeMutableBufferPointer { EVP_DigestSign(ctx, $0.baseAddress, &length, base, message.count) }
        guard ok == 1 else { throw .library("sign") }
        out.removeLast(out.count - length)
    }

    /// Signs a digest the caller computed, with a signing context from this key's pool.
    func sign(digest: UnsafeRawBufferPointer, pool: ContextPool, into out: inout [UInt8]) throws(CryptoError) {
        guard let ctx = pool.take() else { throw .library("allocate a signing context") }
        var length = maxSignatureSize
        if out.count < length { out = [UInt8](repeating: 0, count: length) }
        let ok = out.withUnsafeMutableBufferPointer {
            EVP_PKEY_sign(ctx, $0.baseAddress, &length, digest.baseAddress?.assumingMemoryBound(to: UInt8.self), digest.count)
        }
        guard ok == 1 else {
            // A context that failed is not trusted again.
            EVP_PKEY_CTX_free(ctx)
            throw .library("sign")
        }
        pool.give(ctx)
        out.removeLast(out.count - length)
    }

    /// Whether `signature` (in libcrypto's native form) is valid for `message`.
    func verify(_ signature: UnsafeRawBufferPointer, _ message: UnsafeRawBufferPointer, digest: OpaquePointer?) -> Bool {
        guard let ctx = Self.context() else { return false }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestVerifyInit(ctx, nil, digest, nil, pkey) == 1 else { clearOpenSSLErrors(); return false }
        let ok = EVP_DigestVerify(ctx, signature.baseAddress?.assumingMemoryBound(to: UInt8.self), signature.count,
                                  message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
        if ok != 1 { clearOpenSSLErrors() }
        return ok == 1
    }

    /// Verifies a signature over a digest the caller computed, with a verify context from
    /// this key's pool. Reusing an initialised context skips the provider lookups that
    /// `EVP_DigestVerifyInit` repeats on every call.
    func verify(signature: UnsafeRawBufferPointer, digest: UnsafeRawBufferPointer, pool: ContextPool) -> Bool {
        guard let ctx = pool.take() else { return false }
        let ok = EVP_PKEY_verify(ctx, signature.baseAddress?.assumingMemoryBound(to: UInt8.self), signature.count,
                                 digest.baseAddress?.assumingMemoryBound(to: UInt8.self), digest.count)
        if ok != 1 { clearOpenSSLErrors() }
        pool.give(ctx)
        return ok == 1
    }

    /// The SubjectPublicKeyInfo DER encoding of the public part.
    func publicKeyDER() throws(CryptoError) -> [UInt8] {
        var buf: UnsafeMutablePointer<UInt8>?
        let n = i2d_PUBKEY(pkey, &buf)
        guard n > 0, let buf else { throw .library("encode a public key") }
        defer { CRYPTO_free(buf, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: buf, count: Int(n)))
    }

    /// Reads a SubjectPublicKeyInfo DER public key (curve points are checked by libcrypto).
    static func publicKey(der: [UInt8]) throws(CryptoError) -> EVPKey {
        let key: OpaquePointer? = der.withUnsafeBufferPointer { b in
            var p = b.baseAddress
            return d2i_PUBKEY(nil, &p, b.count)
        }
        guard let key else { throw .library("read a public key", kind: .invalidKey) }
        return EVPKey(taking: key)
    }

    /// The private key as PKCS#8 PEM (unencrypted: the file's permissions protect it).
    func privateKeyPEM() throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .library("allocate a memory BIO") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PKCS8PrivateKey(bio, pkey, nil, nil, 0, nil, nil) == 1 else { throw .library("encode a private key") }
        var data: UnsafeMutablePointer<CChar>?
        let n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
        guard n > 0, let data else { throw .library("read encoded private key") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
    }

    /// Reads a PEM private key (PKCS#8 or SEC1).
    static func privateKey(pem: String) throws(CryptoError) -> EVPKey {
        var pem = pem
        let key: OpaquePointer? = pem.withUTF8 { u in
            guard let bio = BIO_new_mem_buf(u.baseAddress, Int32(u.count)) else { return nil }
            defer { BIO_free(bio) }
            // Without a callback OpenSSL asks for an encrypted key's passphrase on the
            // terminal; a server must fail instead.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let key else { throw .library("read a PEM private key", kind: .invalidKey) }
        return EVPKey(taking: key)
    }

    /// The key type's name, e.g. "EC" or "ED25519".
    var typeName: String {
        guard let n = EVP_PKEY_get0_type_name(pkey) else { return "unknown" }
        return String(cString: n)
    }
}

/// What a pooled ECDSA context is initialised for.
enum ECDSAOperation {
    case sign, verify
}

/// Contexts of one key, each initialised once for `operation` with SHA-256 and then reused
/// with a digest the caller computes: `EVP_DigestSignInit` / `EVP_DigestVerifyInit` repeat
/// provider lookups (a locked hash-table walk) on every call. Each `EVP_PKEY_sign` on a
/// reused context still draws a fresh random nonce.
func contextPool(for key: EVPKey, _ operation: ECDSAOperation) -> ContextPool {
    ContextPool(make: {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, key.pkey, nil) else { return nil }
        let initialised = operation == .sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)
        guard initialised == 1, EVP_PKEY_CTX_set_signature_md(ctx, EVPKey.sha256) == 1 else {
            clearOpenSSLErrors()
            EVP_PKEY_CTX_free(ctx)
            return nil
        }
        return ctx
    }, free: { EVP_PKEY_CTX_free($0) })
}
