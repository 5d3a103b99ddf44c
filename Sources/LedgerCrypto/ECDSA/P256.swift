import CCrypto

/// ECDSA over NIST P-256 with SHA-256: the JOSE `ES256` algorithm (RFC 7518 §3.4).
///
/// Signatures are in the JOSE form: `r ‖ s`, each exactly 32 big-endian bytes. libcrypto
/// speaks DER, so conversion happens here, strictly, in both directions.
public enum P256 {
    /// The JOSE form's length.
    public static let signatureBytes = 64

    /// The group order n. A valid `r` and `s` lie in [1, n − 1].
    static let order: [UInt8] = [UInt8](hex: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!

    /// A private signing key.
    public struct SigningKey: Sendable {
        let key: EVPKey
        private let contexts: ContextPool

        /// Generates a new key from the OS CSPRNG.
        public init() throws(CryptoError) {
            key = try EVPKey.generate("EC", group: "P-256")
            contexts = contextPool(for: key, .sign)
        }

        /// Reads a PEM private key; refuses keys that are not P-256.
        public init(pem: String) throws(CryptoError) {
            key = try EVPKey.privateKey(pem: pem)
            guard key.typeName == "EC", (try? PublicKey(key: key)) != nil else {
                throw CryptoError(.invalidKey, "the PEM key is not a P-256 EC key (found \(key.typeName))")
            }
            contexts = contextPool(for: key, .sign)
        }

        /// The PKCS#8 PEM encoding of this private key.
        public func pemRepresentation() throws(CryptoError) -> String { try key.privateKeyPEM() }

        /// The matching public key.
        public var publicKey: PublicKey { get throws(CryptoError) { try PublicKey(key: key) } }

        /// Signs `message` (SHA-256 inside), returning the 64-byte JOSE signature.
        public func signature<Bytes: ByteStorage>(for message: Bytes) throws(CryptoError) -> [UInt8] {
            var der = [UInt8](repeating: 0, count: 72)
            var digest = message.withUnsafeBytes { SHA256.oneShot($0) }
            let signed = withUnsafeBytes(of: &digest) { h in
                Result { () throws(CryptoError) in try key.sign(digest: h, pool: contexts, into: &der) }
            }
            try signed.get()
            guard let raw = P256.joseSignature(fromDER: der) else {
                throw CryptoError(.library, "libcrypto produced an ECDSA signature that is not strict DER")
            }
            return raw
        }
    }

    /// A public verification key.
    public struct PublicKey: Sendable, Equatable {
        let key: EVPKey
        private let contexts: ContextPool
        /// The affine coordinates, 32 bytes each (for JWKs).
        public let x: [UInt8]
        public let y: [UInt8]

        init(key: EVPKey) throws(CryptoError) {
            let der = try key.publicKeyDER()
            guard der.count == spkiPrefix.count + 65, Array(der.prefix(spkiPrefix.count)) == spkiPrefix else {
                throw CryptoError(.invalidKey, "the key is not a P-256 public key")
            }
            self.key = key
            contexts = contextPool(for: key, .verify)
            x = Array(der[(spkiPrefix.count + 1)..<(spkiPrefix.count + 33)])
            y = Array(der[(spkiPrefix.count + 33)...])
        }

        /// A key from its affine coordinates (as in a JWK's `x` and `y`); the point must be on the curve.
        public init(x: [UInt8], y: [UInt8]) throws(CryptoError) {
            guard x.count == 32, y.count == 32 else {
                throw CryptoError(.invalidKey, "P-256 coordinates must be 32 bytes each; got \(x.count) and \(y.count)")
            }
            try self.init(key: EVPKey.publicKey(der: spkiPrefix + [0x04] + x + y))
        }

        /// Whether `signature` (64-byte JOSE form) is valid for `message`.
        /// Wrong lengths, and `r` or `s` of zero or not below the group order, are refused
        /// before libcrypto is asked.
        public func isValidSignature<S: ByteStorage, M: ByteStorage>(_ signature: S, for message: M) -> Bool {
            guard let der = signature.withUnsafeBytes({ P256.derSignature(fromJOSE: $0) }) else { return false }
            var digest = message.withUnsafeBytes { SHA256.oneShot($0) }
            return der.withUnsafeBytes { d in
                withUnsafeBytes(of: &digest) { h in key.verify(signature: d, digest: h, pool: contexts) }
            }
        }

        public static func == (a: PublicKey, b: PublicKey) -> Bool { a.x == b.x && a.y == b.y }
    }

    /// DER SubjectPublicKeyInfo header for an uncompressed P-256 point (id-ecPublicKey, prime256v1).
    static let spkiPrefix: [UInt8] = [UInt8](hex: "3059301306072a8648ce3d020106082a8648ce3d030107034200")!

    /// Converts a DER `ECDSA-Sig-Value` (`SEQUENCE { INTEGER r, INTEGER s }`) to JOSE `r ‖ s`.
    /// Strict: definite short-form lengths only, minimal positive INTEGERs, no trailing bytes,
    /// and values that fit 32 bytes. So one signature has exactly one accepted DER form.
    /// Parsed by hand: it runs on every token signed, and needs no allocation but the result.
    public static func joseSignature(fromDER der: [UInt8]) -> [UInt8]? {
        // A P-256 signature's DER is at most 2 + 2 × (2 + 33) = 72 bytes: short-form lengths.
        guard der.count >= 8, der.count <= 72, der[0] == 0x30, Int(der[1]) == der.count - 2 else { return nil }
        var out = [UInt8](repeating: 0, count: 64)
        var i = 2
        for half in 0..<2 {
            guard i + 2 <= der.count, der[i] == 0x02 else { return nil }
            let n = Int(der[i + 1])
            i += 2
            guard n >= 1, n <= 33, i + n <= der.count else { return nil }
            let value = der[i..<(i + n)]
            // Minimal encoding: no sign bit set (the value is positive), and a leading zero
            // only where the next byte needs it.
            guard value.first! & 0x80 == 0 else { return nil }
            if n > 1 && value.first! == 0 && value[value.startIndex + 1] & 0x80 == 0 { return nil }
            let digits = value.drop(while: { $0 == 0 })
            guard digits.count <= 32 else { return nil }
            let offset = half * 32 + 32 - digits.count
            for (k, b) in digits.enumerated() { out[offset + k] = b }
            i += n
        }
        return i == der.count ? out : nil
    }

    /// Converts JOSE `r ‖ s` to DER; nil for a wrong length or `r`, `s` outside [1, n − 1].
    package static func derSignature(fromJOSE raw: UnsafeRawBufferPointer) -> [UInt8]? {
        guard raw.count == signatureBytes else { return nil }
        let r = UnsafeRawBufferPointer(rebasing: raw[0..<32]), s = UnsafeRawBufferPointer(rebasing: raw[32..<64])
        guard inRange(r), inRange(s) else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(72)
        out += [0x30, 0]
        for v in [r, s] {
            var start = 0
            while v[start] == 0 { start += 1 }  // in range, so not all zero
            let pad = v[start] & 0x80 != 0
            out += [0x02, UInt8(32 - start + (pad ? 1 : 0))]
            if pad { out.append(0) }
            out += v[start...]
        }
        out[1] = UInt8(out.count - 2)
        return out
    }

    /// 1 ≤ v ≤ n − 1, for a 32-byte big-endian v.
    static func inRange(_ v: UnsafeRawBufferPointer) -> Bool {
        var nonZero = false
        for b in v where b != 0 { nonZero = true; break }
        guard nonZero else { return false }
        for i in 0..<32 where v[i] != order[i] { return v[i] < order[i] }
        return false  // v == n
    }
}
