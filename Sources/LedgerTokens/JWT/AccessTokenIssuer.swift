import LedgerCrypto

/// Mints signed access tokens (compact JWS, `typ: at+jwt` per RFC 9068).
public struct AccessTokenIssuer: Sendable {
    public let key: SigningKey
    public let issuer: String
    public let audience: [String]
    /// How long a token lives, in seconds (default 5 minutes).
    public let lifetimeSeconds: Int64
    // The header never changes for a key, so it is encoded once.
    private let encodedHeader: [UInt8]

    public init(key: SigningKey, issuer: String, audience: [String], lifetimeSeconds: Int64 = 300) {
        self.key = key
        self.issuer = issuer
        self.audience = audience
        self.lifetimeSeconds = lifetimeSeconds
        let header: JSONValue = ["alg": .string(key.algorithm.rawValue), "kid": .string(key.kid), "typ": "at+jwt"]
        var h = [UInt8]()
        Base64URL.encode(Array(header.serialized.utf8), into: &h)
        encodedHeader = h
    }

    /// Issues a token for `subject` in `sessionID`, valid from `now` (seconds since the epoch).
    /// Custom claims must not use a registered name.
    public func issue(subject: String, sessionID: String, now: Int64, custom: [String: JSONValue] = [:],
                      lifetimeSeconds: Int64? = nil) throws -> (token: String, claims: AccessTokenClaims) {
        if let clash = custom.keys.first(where: AccessTokenClaims.isRegistered) {
            throw TokenError(.customClaim, "custom claim \"\(clash)\" would replace a registered claim")
        }
        let claims = AccessTokenClaims(issuer: issuer, subject: subject, audience: audience, sessionID: sessionID,
                                       issuedAt: now, expiresAt: now + (lifetimeSeconds ?? self.lifetimeSeconds),
                                       tokenID: Base64URL.encode(SecureRandom.bufferedBytes(16)), custom: custom)
        return (try sign(claims), claims)
    }

    /// Signs exact claims (for tests and tools that need a specific token).
    public func sign(_ claims: AccessTokenClaims) throws(CryptoError) -> String {
        var input = encodedHeader
        input.reserveCapacity(encodedHeader.count + 400)
        input.append(UInt8(ascii: "."))
        Base64URL.encode(claims.serialized(), into: &input)
        let signature = try key.sign(input)
        // Written straight into the String's storage: this runs for every token issued.
        let length = input.count + 1 + Base64URL.encodedLength(signature.count)
        return String(unsafeUninitializedCapacity: length) { out in
            _ = out.initialize(from: input)
            out[input.count] = UInt8(ascii: ".")
            Base64URL.encode(signature, into: UnsafeMutableBufferPointer(rebasing: out[(input.count + 1)...]))
            return length
        }
    }
}
