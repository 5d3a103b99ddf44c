import CCrypto
import Synchronization

/// AES-256 in counter mode (NIST SP 800-38A) over libcrypto's EVP interface: a stream
/// cipher, so the ciphertext is exactly as long as the plaintext, and encrypting and
/// decrypting are the same operation.
///
/// Counter mode gives confidentiality only; callers that need integrity get it elsewhere
/// (AuthLedger's hash chain covers every stored byte). **An IV must never be used twice
/// under one key**: two messages under the same key and IV leak their XOR.
///
/// The key is expanded once, into the one `EVP_CIPHER_CTX` this value owns; each call
/// only sets the IV. Calls are serialised on that context by a mutex.
public final class AES256CTR: Sendable {
    private let context: Mutex<CipherContext>

    public static let keyBytes = 32
    public static let ivBytes = 16

    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count == Self.keyBytes else {
            throw CryptoError(.invalidKey, "an AES-256 key is \(Self.keyBytes) bytes; got \(key.count)")
        }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.library("EVP_CIPHER_CTX_new failed") }
        let ok = key.withUnsafeBufferPointer { EVP_EncryptInit_ex(ctx, EVP_aes_256_ctr(), nil, $0.baseAddress, nil) }
        guard ok == 1 else {
            EVP_CIPHER_CTX_free(ctx)
            throw CryptoError.library("AES-256-CTR key setup failed")
        }
        context = Mutex(CipherContext(ctx))
    }

    /// XORs `bytes` in place with the key stream that starts at counter block `iv` (16
    /// bytes), skipping the first `offset` bytes of that stream. With `offset`, several
    /// fields of one message are encrypted under one IV as consecutive, disjoint slices of
    /// a single key stream. The allocation-free path the engine seals fields with; `iv` must
    /// be 16 bytes and `offset` not negative (checked by a precondition).
    package func apply(iv: UnsafeRawBufferPointer, offset: Int = 0, to bytes: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        precondition(iv.count == Self.ivBytes && offset >= 0, "an AES-CTR IV is 16 bytes, and an offset not negative")
        guard bytes.count > 0 else { return }
        // The stream at `offset` is the stream of the counter block `offset / 16` blocks on
        // (libcrypto counts all 128 bits, big-endian), less its first `offset % 16` bytes.
        let (low, carry) = UInt64(bigEndian: iv.loadUnaligned(fromByteOffset: 8, as: UInt64.self)).addingReportingOverflow(UInt64(offset / 16))
        let high = UInt64(bigEndian: iv.loadUnaligned(as: UInt64.self)) &+ (carry ? 1 : 0)
        let skip = offset % 16
        let failed = withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { scratch -> Bool in
            // The counter block, then 16 bytes of scratch to burn the skipped key stream in.
            scratch.storeBytes(of: high.bigEndian, toByteOffset: 0, as: UInt64.self)
            scratch.storeBytes(of: low.bigEndian, toByteOffset: 8, as: UInt64.self)
            let block = scratch.baseAddress!.assumingMemoryBound(to: UInt8.self)
            return context.withLock { c -> Bool in
                guard EVP_EncryptInit_ex(c.pointer, nil, nil, nil, block) == 1 else { return true }
                var outLength: Int32 = 0
                if skip > 0 {
                    let burn = block + 16
                    guard EVP_EncryptUpdate(c.pointer, burn, &outLength, burn, Int32(skip)) == 1 else { return true }
                }
                // In pieces libcrypto's `int` lengths can hold.
                var done = 0
                while done < bytes.count {
                    let n = min(bytes.count - done, 1 << 30)
                    let p = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + done
                    guard EVP_EncryptUpdate(c.pointer, p, &outLength, p, Int32(n)) == 1, Int(outLength) == n else { return true }
                    done += n
                }
                return false
            }
        }
        if failed { throw CryptoError.library("AES-256-CTR failed") }
    }

    /// `bytes` XORed with the key stream at `iv` (16 bytes; from `offset` bytes into the
    /// stream): encrypts or decrypts.
    public func apply<IV: ByteStorage>(iv: IV, offset: Int = 0, to bytes: [UInt8]) throws(CryptoError) -> [UInt8] {
        let ivLength = iv.withUnsafeBytes { $0.count }
        guard ivLength == Self.ivBytes else {
            throw CryptoError(.invalidArgument, "an AES-256-CTR IV is \(Self.ivBytes) bytes; got \(ivLength)")
        }
        guard offset >= 0 else { throw CryptoError(.invalidArgument, "a key-stream offset cannot be negative; got \(offset)") }
        var out = bytes
        // The closures are `rethrows`, which loses the error's type: carry it out by hand.
        let failure: CryptoError? = iv.withUnsafeBytes { ivb in
            out.withUnsafeMutableBytes { o in
                do throws(CryptoError) { try apply(iv: ivb, offset: offset, to: o); return nil } catch { return error }
            }
        }
        if let failure { throw failure }
        return out
    }
}

/// An owned `EVP_CIPHER_CTX`, freed (and with it the expanded key, which libcrypto wipes)
/// when released.
///
/// `@unchecked Sendable`: reached only through the owner's mutex.
final class CipherContext: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_CIPHER_CTX_free(pointer) }
}
