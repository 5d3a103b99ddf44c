/// What a verifier requires of an access token beyond a valid signature.
public struct VerificationPolicy: Sendable, Equatable {
    /// The required `iss`.
    public var issuer: String
    /// An audience that `aud` must contain.
    public var audience: String
    /// Clock skew tolerated for `exp`, `nbf` and `iat`, in seconds.
    public var leewaySeconds: Int64 = 30
    /// Tokens longer than this are refused before any parsing.
    public var maxTokenBytes: Int = 8192

    public init(issuer: String, audience: String, leewaySeconds: Int64 = 30, maxTokenBytes: Int = 8192) {
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = leewaySeconds
        self.maxTokenBytes = maxTokenBytes
    }
}
