import Hummingbird

/// A request context that can carry the identity ``EdgeAuthenticationMiddleware`` verified.
/// Adopt it in your own context, or use ``EdgeRequestContext``.
public protocol EdgeAuthenticatedRequestContext: RequestContext {
    var identity: EdgeIdentity? { get set }
}

extension EdgeAuthenticatedRequestContext {
    /// The verified identity; behind the middleware it is always there, so its absence is a
    /// route wired without the middleware, answered 401 rather than served anonymously.
    public func requireIdentity() throws -> EdgeIdentity {
        guard let identity else {
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "no verified access token")
        }
        return identity
    }
}

/// The plain request context with an identity.
public struct EdgeRequestContext: EdgeAuthenticatedRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: EdgeIdentity?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        identity = nil
    }
}
