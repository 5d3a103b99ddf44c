/// What an API key may do. `admin` includes every other scope.
public enum Scope: String, Sendable, CaseIterable, Comparable {
    /// Log in, refresh on a user's behalf, log out, RFC 7009 revocation.
    case sessionsWrite = "sessions:write"
    /// List sessions, read history, RFC 7662 introspection.
    case sessionsRead = "sessions:read"
    /// The revocation stream and the revocation state.
    case eventsRead = "events:read"
    /// Revoke sessions as an administrator, ban and unban, manage API keys.
    case admin

    public static func < (a: Scope, b: Scope) -> Bool { a.rawValue < b.rawValue }
}
