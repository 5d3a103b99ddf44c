/// Which check a token failed. A struct of named constants rather than an enum, so new
/// checks can be added without breaking anyone's `switch`.
public struct TokenCheck: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    init(_ name: String) { self.name = name }
    public var description: String { name }

    /// Larger than the configured limit (8 KiB by default).
    public static let size = TokenCheck("size")
    /// Not three dot-separated base64url parts.
    public static let format = TokenCheck("format")
    /// A part is not canonical, unpadded base64url.
    public static let encoding = TokenCheck("base64url")
    /// The header is not a strict JSON object (malformed, duplicate members).
    public static let header = TokenCheck("header")
    /// `alg: none` or another unsecured algorithm.
    public static let unsecured = TokenCheck("alg-none")
    /// The header's `alg` is not the one algorithm of the key its `kid` names.
    public static let algorithm = TokenCheck("alg")
    /// No key with the header's `kid`, or no `kid` where one is needed.
    public static let keyID = TokenCheck("kid")
    /// A `crit` header: no extension is understood, so none may be required.
    public static let critical = TokenCheck("crit")
    /// `typ` names something other than a JWT access token.
    public static let type = TokenCheck("typ")
    /// The signature does not verify (or has the wrong length or out-of-range values).
    public static let signature = TokenCheck("signature")
    /// The payload is not a strict JSON object.
    public static let payload = TokenCheck("payload")
    /// A required claim is missing or has the wrong JSON type.
    public static let claims = TokenCheck("claims")
    /// `exp` has passed (beyond the leeway).
    public static let expired = TokenCheck("exp")
    /// `nbf` is in the future (beyond the leeway).
    public static let notYetValid = TokenCheck("nbf")
    /// `iat` is in the future (beyond the leeway).
    public static let issuedInFuture = TokenCheck("iat")
    /// `iss` is not the expected issuer.
    public static let issuer = TokenCheck("iss")
    /// `aud` does not contain the expected audience.
    public static let audience = TokenCheck("aud")
    /// A custom claim tried to replace a registered one (when issuing).
    public static let customClaim = TokenCheck("custom-claim")
    /// The session behind the token was revoked (the stateful check).
    public static let revoked = TokenCheck("revoked")
}

/// Why a token was rejected: the check that failed and a reason a person can act on.
public struct TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    public let check: TokenCheck
    public let reason: String

    public init(_ check: TokenCheck, _ reason: String) {
        self.check = check
        self.reason = reason
    }

    public var description: String { "token rejected (\(check)): \(reason)" }
}
