/// How the engine started.
public struct StartupReport: Sendable, Equatable {
    /// The snapshot's log position, or nil for a full replay.
    public let snapshotPosition: UInt64?
    public let replayedEvents: UInt64
    public let seconds: Double
}
