/// Where the library stands, as of one moment: what the metrics report and tests read.
public struct EdgeStatus: Sendable, Equatable {
    /// The revocation state has been loaded at least once.
    public var loaded: Bool
    /// The event stream is open.
    public var connected: Bool
    /// The last log position applied to the revoked set.
    public var position: UInt64
    /// The newest log position the server has reported (its head when the stream was last
    /// opened, or a later event or heartbeat).
    public var serverPosition: UInt64
    /// Positions the server has reported that are not applied yet: catch-up in progress.
    public var lagEvents: UInt64 { serverPosition > position ? serverPosition - position : 0 }
    /// Time since the server last confirmed the set (state loaded, event or heartbeat);
    /// nil before the first. Up to the server's heartbeat interval while all is well.
    public var lag: Duration?
    /// Whether ``FailurePolicy/mode`` applies now (lag over the limit, or never loaded).
    public var behind: Bool
    /// Revoked sessions held (including entries not yet pruned).
    public var revokedSessions: Int
    /// Times the revocation state was loaded (1 plus one per reload).
    public var stateLoads: Int
    /// Times the event stream was opened.
    public var connections: Int
    /// Times the key set was fetched.
    public var keySetFetches: Int
}
