import LedgerCrypto
import LedgerTokens

/// The keys every fuzz run verifies with. They are in the repository on purpose: they sign
/// the seed corpus (tools/fuzz/make-seeds.py), and protect nothing.
public enum FixedKeys {
    public static let ed25519PEM = """
        -----BEGIN PRIVATE KEY-----
        MC4CAQAwBQYDK2VwBCIEIK3z5fHPDz0TSMHAMHmgsQCOqMbA2XajAdzzPLMzdEOQ
        -----END PRIVATE KEY-----
        """
    public static let p256PEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCqopDvJT5gYRUiG7
        rPVifdSx+rZmGfK5pazFfxg7pWehRANCAASosjC+l6+mrhZ79KXdC5A04WFTlWWZ
        v11zOfqcq+NW7/JJkLtrF6XRN5FKD6Mi08+oQh66AYhkDi25bYdvBPpe
        -----END PRIVATE KEY-----
        """
    /// The HS256 secret and the refresh-token key: 32 bytes of 0x5a.
    public static let secret = [UInt8](repeating: 0x5a, count: 32)
    public static let issuer = "https://fuzz.authledger.test"
    public static let audience = "fuzz-api"
    /// The verifier's clock: the seed tokens are valid at this instant.
    public static let now: Int64 = 1_800_000_000

    /// The key set: an EdDSA, an ES256 and an HS256 key, with the kids the seeds use.
    public static let jwks: JWKS = {
        do {
            return JWKS([
                try SigningKey(pem: ed25519PEM, algorithm: .eddsa, kid: "ed").verificationKey,
                try SigningKey(pem: p256PEM, algorithm: .es256, kid: "es").verificationKey,
                try SigningKey(kid: "hs", sharedSecret: secret).verificationKey,
            ])
        } catch {
            fatalError("the fixed fuzz keys do not load: \(error)")
        }
    }()

    public static let verifier = AccessTokenVerifier(keys: jwks, policy: VerificationPolicy(issuer: issuer, audience: audience))

    /// Refresh-token keys 1 (current) and 2, both `secret` with the id as last byte.
    public static let refreshCodec: RefreshTokenCodec = {
        do {
            return try RefreshTokenCodec(keys: [1: Array(secret.dropLast()) + [1], 2: Array(secret.dropLast()) + [2]], current: 1)
        } catch {
            fatalError("the fixed refresh-token keys do not load: \(error)")
        }
    }()
}

/// The fuzzer's input as bytes (copied: libFuzzer owns the buffer).
public func fuzzInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
