/// What the library does with a signature-valid token when it cannot be sure its revoked
/// set is current: after the stream has been silent or down for longer than
/// ``maximumLag``, or before the revocation state was ever loaded.
///
/// Fail closed (the default) refuses every token until the stream is back: a revoked
/// session can never get in, at the cost of an outage while the server is unreachable.
/// Fail open accepts signature-valid tokens whose session is not in the (stale) set: the
/// service stays up, and a session revoked while the stream is down gets in until its
/// access token expires (at most its access-token lifetime, 5 minutes by default).
public struct FailurePolicy: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        /// Refuse every token with ``EdgeError/Code/behind``.
        case failClosed
        /// Accept signature-valid tokens that the set held does not refuse.
        case failOpen
    }

    /// How long the revoked set may go without word from the server (an event or a
    /// heartbeat) before ``mode`` applies. The server sends a heartbeat every
    /// `heartbeat-seconds` (15 by default), so this must be comfortably longer than that;
    /// the default, 30 s, tolerates one lost heartbeat and a quick server restart.
    public var maximumLag: Duration
    public var mode: Mode

    public init(maximumLag: Duration = .seconds(30), mode: Mode = .failClosed) {
        self.maximumLag = maximumLag
        self.mode = mode
    }

    /// Refuse every token once the stream has been down for `maximumLag`.
    public static func failClosed(after maximumLag: Duration) -> FailurePolicy { FailurePolicy(maximumLag: maximumLag, mode: .failClosed) }
    /// Accept signature-valid tokens once the stream has been down for `maximumLag`.
    public static func failOpen(after maximumLag: Duration) -> FailurePolicy { FailurePolicy(maximumLag: maximumLag, mode: .failOpen) }
}
