extension Projection {
    /// The longest access-token lifetime any session in the log was started with. Sessions
    /// keep their recorded lifetimes, so tokens minted today may outlive the configured one.
    /// The interned table only grows (and snapshots keep it whole), so this covers sessions
    /// that have since ended too.
    var longestAccessTokenLifetimeSeconds: Int64 {
        Int64(devices.lifetimes.lazy.map(\.accessToken).max() ?? 0)
    }
}
