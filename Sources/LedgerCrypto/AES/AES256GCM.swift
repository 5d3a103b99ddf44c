import CCrypto

/// AES-256-GCM (NIST SP 800-38D) over libcrypto's EVP interface, with a random 96-bit
/// nonce and a full 128-bit tag: authenticated encryption for bytes that nothing else
/// authenticates (keys wrapped under another key).
///
/// A sealed box is `nonce (12) ‖ ciphertext ‖ tag (16)`. Random nonces are safe for up to
/// 2³² messages under one key (SP 800-38D §8.3), far beyond the keys this wraps.
public struct AES256GCM: Sendable {
    private let key: SecretBytes

    public static let keyBytes = 32
    public static let nonceBytes = 12
    public static let tagBytes = 16
    /// What sealing adds to the plaintext's length.
    public static let overhead = nonceBytes + tagBytes

    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count == Self.keyBytes else {
            throw CryptoError(.invalidKey, "an AES-256 key is \(Self.keyBytes) bytes; got \(key.count)")
        }
        self.key = SecretBytes(key)
    }

    /// Encrypts and authenticates `plaintext` and `associatedData` (which is authenticated
    /// but not stored: the opener must present the same).
    public func seal(_ plaintext: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        let nonce = SecureRandom.bytes(Self.nonceBytes)
        var out = nonce + [UInt8](repeating: 0, count: plaintext.count + Self.tagBytes)
        let ok = try run(encrypt: true, nonce: nonce, input: plaintext, associatedData: associatedData) { ctx, ct in
            out.replaceSubrange(Self.nonceBytes..<(Self.nonceBytes + ct.count), with: ct)
            var tag = [UInt8](repeating: 0, count: Self.tagBytes)
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagBytes), &tag) == 1 else { return false }
            out.replaceSubrange((out.count - Self.tagBytes)..., with: tag)
            return true
        }
        guard ok else { throw CryptoError.library("AES-256-GCM could not compute the tag") }
        return out
    }

    /// The plaintext of a sealed box; throws ``CryptoError/Kind/authenticationFailed`` if
    /// the box, the key or the associated data is not the one it was sealed with.
    public func open(_ box: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard box.count >= Self.overhead else {
            throw CryptoError(.authenticationFailed, "an AES-256-GCM box is at least \(Self.overhead) bytes; got \(box.count)")
        }
        let nonce = Array(box[..<Self.nonceBytes])
        let ciphertext = Array(box[Self.nonceBytes..<(box.count - Self.tagBytes)])
        var tag = Array(box[(box.count - Self.tagBytes)...])
        var plaintext: [UInt8] = []
        let ok = try run(encrypt: false, nonce: nonce, input: ciphertext, associatedData: associatedData, setTag: &tag) { _, pt in
            plaintext = pt
            return true
        }
        guard ok else {
            clearOpenSSLErrors()
            throw CryptoError(.authenticationFailed, "AES-256-GCM authentication failed: wrong key, or the bytes were changed")
        }
        return plaintext
    }

    private func run(encrypt: Bool, nonce: [UInt8], input: [UInt8], associatedData: [UInt8], setTag: UnsafeMutablePointer<[UInt8]>? = nil,
                     finish: (OpaquePointer, [UInt8]) -> Bool) throws(CryptoError) -> Bool {
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.library("EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        let initialise = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex
        let update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate
        guard initialise(ctx, EVP_aes_256_gcm(), nil, nil, nil) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, Int32(Self.nonceBytes), nil) == 1,
              key.withUnsafeBytes({ k in nonce.withUnsafeBufferPointer { n in
                  initialise(ctx, nil, nil, k.baseAddress!.assumingMemoryBound(to: UInt8.self), n.baseAddress) } }) == 1
        else { throw CryptoError.library("AES-256-GCM setup failed") }
        var n: Int32 = 0
        if !associatedData.isEmpty {
            guard associatedData.withUnsafeBufferPointer({ update(ctx, nil, &n, $0.baseAddress, Int32($0.count)) }) == 1 else {
                throw CryptoError.library("AES-256-GCM failed on the associated data")
            }
        }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var produced: Int32 = 0
        if !input.isEmpty {
            guard input.withUnsafeBufferPointer({ i in output.withUnsafeMutableBufferPointer { o in
                update(ctx, o.baseAddress, &produced, i.baseAddress, Int32(i.count)) } }) == 1
            else { throw CryptoError.library("AES-256-GCM failed") }
        }
        if let setTag {
            guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagBytes), &setTag.pointee) == 1 else {
                throw CryptoError.library("AES-256-GCM could not set the tag")
            }
        }
        var final: Int32 = 0
        let finalise = encrypt ? EVP_EncryptFinal_ex : EVP_DecryptFinal_ex
        let ok = output.withUnsafeMutableBufferPointer { o in finalise(ctx, o.baseAddress! + Int(produced), &final) } == 1
        guard ok else {
            OPENSSL_cleanse(&output, output.count)
            return false
        }
        return finish(ctx, Array(output[..<Int(produced + final)]))
    }
}

/// Key bytes held apart from any array the caller keeps, and wiped when released.
///
/// `@unchecked Sendable`: written only in `init`, then only read.
final class SecretBytes: @unchecked Sendable {
    private let pointer: UnsafeMutableRawBufferPointer

    init(_ bytes: [UInt8]) {
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
        pointer.copyBytes(from: bytes)
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(UnsafeRawBufferPointer(pointer)) }

    deinit {
        OPENSSL_cleanse(pointer.baseAddress, pointer.count)
        pointer.deallocate()
    }
}
