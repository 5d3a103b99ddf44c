import LedgerTokens

/// Why the edge refused a token or could not follow the server, and what to do about it.
///
/// A struct around an open set of codes (like ``TokenCheck``), so codes can be added
/// without breaking anyone's `switch`: compare with `error.code == .revoked`.
public struct EdgeError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The token failed a signature or claim check; ``EdgeError/token`` says which.
        /// The client must obtain a new token (refresh, or log in).
        public static let invalidToken = Code("invalid-token")
        /// The token's session was ended or revoked. The client must log in again.
        public static let revoked = Code("revoked")
        /// The library has fallen further behind the revocation stream than
        /// ``FailurePolicy/maximumLag`` allows, or has not loaded the revocation state yet,
        /// and the policy is to fail closed. The service should answer 503 and the operator
        /// look at why the stream is down (the logs say why each attempt failed).
        public static let behind = Code("behind")
        /// No key set could be fetched from the server, so no token can be verified.
        public static let keysUnavailable = Code("keys-unavailable")
        /// The server refused the API key (401/403): give one with the `events:read` scope.
        public static let unauthorized = Code("unauthorized")
        /// The server answered something the library cannot use (status, body).
        public static let server = Code("server")
        /// The server no longer has the position the library followed from (its log was
        /// restored or replaced); the library reloads the revocation state by itself.
        public static let positionUnknown = Code("position-unknown")
    }

    public let code: Code
    /// What happened, for a log line or an `error_description`.
    public let reason: String
    /// What to do about it.
    public let remedy: String
    /// The failed token check, for ``Code/invalidToken`` and ``Code/revoked``.
    public let token: TokenError?

    init(_ code: Code, _ reason: String, remedy: String, token: TokenError? = nil) {
        self.code = code
        self.reason = reason
        self.remedy = remedy
        self.token = token
    }

    static func invalid(_ error: TokenError) -> EdgeError {
        EdgeError(.invalidToken, error.reason, remedy: "obtain a new access token (refresh, or log in again)", token: error)
    }

    public var description: String { "\(code): \(reason); \(remedy)" }
}
