/// The JWS algorithms AuthLedger signs and verifies with. Each key has exactly one.
public enum JWSAlgorithm: String, Sendable, CaseIterable, Codable {
    /// ECDSA P-256 with SHA-256: the default, the most widely supported asymmetric JOSE algorithm.
    case es256 = "ES256"
    /// Ed25519 (RFC 8037).
    case eddsa = "EdDSA"
    /// HMAC-SHA-256 with a shared secret: only when a deployment configures one explicitly,
    /// since every verifier then holds the power to mint tokens.
    case hs256 = "HS256"
}
