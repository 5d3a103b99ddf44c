import CCrypto

/// Ed25519 (RFC 8032): the JOSE `EdDSA` algorithm with `crv: Ed25519` (RFC 8037).
public enum Ed25519 {
    public static let signatureBytes = 64
    public static let keyBytes = 32

    /// A private signing key.
    public struct SigningKey: Sendable {
        let key: EVPKey

        /// Generates a new key from the OS CSPRNG.
        public init() throws(CryptoError) { key = try EVPKey.generate("ED25519") }

        /// A key from its 32-byte seed (the JWK `d`).
        public init(seed: [UInt8]) throws(CryptoError) {
            guard seed.count == keyBytes else { throw CryptoError(.invalidKey, "an Ed25519 private key is 32 bytes; got \(seed.count)") }
            guard let k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, seed, seed.count) else {
                throw .library("read an Ed25519 private key", kind: .invalidKey)
            }
            key = EVPKey(taking: k)
        }

        /// Reads a PEM private key; refuses keys that are not Ed25519.
        public init(pem: String) throws(CryptoError) {
            key = try EVPKey.privateKey(pem: pem)
            guard key.typeName == "ED25519" else {
                throw CryptoError(.invalidKey, "the PEM key is not an Ed25519 key (found \(key.typeName))")
            }
        }

        public func pemRepresentation() throws(CryptoError) -> String { try key.privateKeyPEM() }

        public var publicKey: PublicKey {
            get throws(CryptoError) {
                var out = [UInt8](repeating: 0, count: keyBytes)
                var n = keyBytes
                guard EVP_PKEY_get_raw_public_key(key.pkey, &out, &n) == 1, n == keyBytes else {
                    throw .library("export an Ed25519 public key")
                }
                return try PublicKey(rawRepresentation: out)
            }
        }

        /// Signs `message`, returning the 64-byte signature.
        public func signature<Bytes: ByteStorage>(for message: Bytes) throws(CryptoError) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: signatureBytes)
            let signed = message.withUnsafeBytes { m in
                Result { () throws(CryptoError) in try key.sign(m, digest: nil, into: &out) }
            }
            try signed.get()
            return out
        }
    }

    /// A public verification key.
    public struct PublicKey: Sendable, Equatable {
        let key: EVPKey
        /// The 32-byte encoded point (the JWK `x`).
        public let rawRepresentation: [UInt8]

        public init(rawRepresentation raw: [UInt8]) throws(CryptoError) {
            guard raw.count == keyBytes else { throw CryptoError(.invalidKey, "an Ed25519 public key is 32 bytes; got \(raw.count)") }
            guard let k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, raw, raw.count) else {
                throw .library("read an Ed25519 public key", kind: .invalidKey)
            }
            key = EVPKey(taking: k)
            rawRepresentation = raw
        }

        /// Whether `signature` is valid for `message` (wrong lengths are refused).
        public func isValidSignature<S: ByteStorage, M: ByteStorage>(_ signature: S, for message: M) -> Bool {
            signature.withUnsafeBytes { s in
                s.count == signatureBytes && message.withUnsafeBytes { m in key.verify(s, m, digest: nil) }
            }
        }

        public static func == (a: PublicKey, b: PublicKey) -> Bool { a.rawRepresentation == b.rawRepresentation }
    }
}
