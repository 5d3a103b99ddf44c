import LedgerTokens

/// Who made a request, as a verified access token says: what handlers behind
/// ``EdgeAuthenticationMiddleware`` read from the request context.
public struct EdgeIdentity: Sendable, Equatable {
    /// Every verified claim.
    public let claims: AccessTokenClaims
    /// The user (`sub`).
    public var user: String { claims.subject }
    /// The session (`sid`): what a logout or revocation on the server ends.
    public var session: String { claims.sessionID }
    /// The claims the server was asked to add at login (roles and the like).
    public var custom: [String: JSONValue] { claims.custom }

    public init(claims: AccessTokenClaims) { self.claims = claims }
}
