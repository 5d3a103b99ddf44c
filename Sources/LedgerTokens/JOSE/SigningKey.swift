import LedgerCrypto

/// A private key that signs tokens, with its key id and its one algorithm.
public struct SigningKey: Sendable {
    enum Material: Sendable {
        case p256(P256.SigningKey)
        case ed25519(Ed25519.SigningKey)
        case hmac(HMACSHA256)
    }

    public let kid: String
    public let algorithm: JWSAlgorithm
    let material: Material
    /// The matching verification key.
    public let verificationKey: VerificationKey

    /// Generates a fresh asymmetric key. The key id defaults to the RFC 7638 thumbprint of
    /// the public key, so it is stable and says nothing about when or where it was made.
    public static func generate(_ algorithm: JWSAlgorithm, kid: String? = nil) throws(CryptoError) -> SigningKey {
        switch algorithm {
        case .es256: return try SigningKey(p256: P256.SigningKey(), kid: kid)
        case .eddsa: return try SigningKey(ed25519: Ed25519.SigningKey(), kid: kid)
        case .hs256: throw CryptoError(.invalidKey, "HS256 keys are shared secrets: use SigningKey(kid:sharedSecret:) explicitly")
        }
    }

    public init(p256 key: P256.SigningKey, kid: String? = nil) throws(CryptoError) {
        let pub = try key.publicKey
        let kid = kid ?? JWKThumbprint.of(VerificationKey(kid: "", p256: pub))
        self.kid = kid
        algorithm = .es256
        material = .p256(key)
        verificationKey = VerificationKey(kid: kid, p256: pub)
    }

    public init(ed25519 key: Ed25519.SigningKey, kid: String? = nil) throws(CryptoError) {
        let pub = try key.publicKey
        let kid = kid ?? JWKThumbprint.of(VerificationKey(kid: "", ed25519: pub))
        self.kid = kid
        algorithm = .eddsa
        material = .ed25519(key)
        verificationKey = VerificationKey(kid: kid, ed25519: pub)
    }

    /// An HS256 key from a shared secret of at least 32 bytes. Every holder of the secret can
    /// mint tokens: use only when a deployment explicitly configures it.
    public init(kid: String, sharedSecret: [UInt8]) throws(CryptoError) {
        self.kid = kid
        algorithm = .hs256
        material = .hmac(try HMACSHA256(key: sharedSecret))
        verificationKey = try VerificationKey(kid: kid, sharedSecret: sharedSecret)
    }

    /// Reads a PEM private key of the given algorithm.
    public init(pem: String, algorithm: JWSAlgorithm, kid: String? = nil) throws(CryptoError) {
        switch algorithm {
        case .es256: try self.init(p256: P256.SigningKey(pem: pem), kid: kid)
        case .eddsa: try self.init(ed25519: Ed25519.SigningKey(pem: pem), kid: kid)
        case .hs256: throw CryptoError(.invalidKey, "HS256 secrets are not stored as PEM")
        }
    }

    /// The PKCS#8 PEM of an asymmetric private key.
    public func pemRepresentation() throws(CryptoError) -> String {
        switch material {
        case let .p256(k): return try k.pemRepresentation()
        case let .ed25519(k): return try k.pemRepresentation()
        case .hmac: throw CryptoError(.invalidKey, "HS256 secrets are not stored as PEM")
        }
    }

    /// Signs the JWS signing input (`header.payload`).
    public func sign<M: ByteStorage>(_ signingInput: M) throws(CryptoError) -> [UInt8] {
        switch material {
        case let .p256(k): return try k.signature(for: signingInput)
        case let .ed25519(k): return try k.signature(for: signingInput)
        case let .hmac(mac): return mac.authenticate(bytes: signingInput)
        }
    }
}

/// JWK thumbprints (RFC 7638): SHA-256 of the key's required members in canonical JSON.
public enum JWKThumbprint {
    public static func of(_ key: VerificationKey) -> String {
        let canonical: String
        switch key.material {
        case let .p256(k):
            canonical = #"{"crv":"P-256","kty":"EC","x":"\#(Base64URL.encode(k.x))","y":"\#(Base64URL.encode(k.y))"}"#
        case let .ed25519(k):
            canonical = #"{"crv":"Ed25519","kty":"OKP","x":"\#(Base64URL.encode(k.rawRepresentation))"}"#
        case let .hmac(_, digest):
            // Never derived from the secret itself, so the kid leaks nothing usable.
            return "hs256-" + String(digest.hex.prefix(16))
        }
        return Base64URL.encode(SHA256.hash(Array(canonical.utf8)).bytes)
    }
}
