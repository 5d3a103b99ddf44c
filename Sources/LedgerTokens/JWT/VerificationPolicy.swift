/// What a verifier requires of an access token beyond a valid signature.
public struct VerificationPolicy: Sendable, Equatable {
    /// The required `iss`.
    public var issuer: String
    /// The audiences this verifier serves: `aud` must contain at least one of them
    /// (compared as exact bytes).
    public var audiences: [String]
    /// Clock skew tolerated for `exp`, `nbf` and `iat`, in seconds.
    public var leewaySeconds: Int64 = 30
    /// Tokens longer than this are refused before any parsing.
    public var maxTokenBytes: Int = 8192

    public init(issuer: String, audience: String, leewaySeconds: Int64 = 30, maxTokenBytes: Int = 8192) {
        self.init(issuer: issuer, audiences: [audience], leewaySeconds: leewaySeconds, maxTokenBytes: maxTokenBytes)
    }

    /// A policy for a service known by several audience names (e.g. during a rename).
    public init(issuer: String, audiences: [String], leewaySeconds: Int64 = 30, maxTokenBytes: Int = 8192) {
        self.issuer = issuer
        self.audiences = audiences
        self.leewaySeconds = leewaySeconds
        self.maxTokenBytes = maxTokenBytes
    }
}
