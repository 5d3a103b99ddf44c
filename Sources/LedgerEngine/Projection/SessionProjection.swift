import LedgerCrypto
import LedgerCodec
import LedgerLog

/// A read-only view of the projection, built by replaying a log (optionally starting from a
/// snapshot). What audit tools use: it needs no writer lock and no keys.
public struct SessionProjection: Sendable {
    var state: Projection

    init(_ state: Projection) { self.state = state }

    /// An empty projection. `revocationSlackSeconds` must match the engine's leeway for
    /// digests to agree.
    public init(revocationSlackSeconds: Int64 = 30) { state = Projection(revocationSlackSeconds: revocationSlackSeconds) }

    /// The last log position applied.
    public var position: UInt64 { state.position }
    /// The time of the last applied event.
    public var time: Timestamp { state.time }
    /// A stable hash of the whole state.
    public var digest: SHA256Digest { state.digest }

    public var statistics: EngineStatistics {
        EngineStatistics(position: state.position, sessions: state.activeSessionCount, users: state.userCount, revokedRemembered: state.revokedCount)
    }

    /// Applies the log's events after ``position``, up to position `end` and, if given, only
    /// events at or before `time`. The same code path the engine uses for live commits.
    /// - Returns: the number of records applied (annotations, which change nothing, included).
    @discardableResult
    public mutating func advance(in log: EventLog, through end: UInt64 = .max, until time: Timestamp? = nil,
                                 progress: ((UInt64) -> Void)? = nil) throws -> UInt64 {
        try advance(in: log, through: end, until: time, concurrent: nil, progress: progress)
    }

    /// `concurrent`: decode on a second thread (nil: only for long ranges). For tests, which
    /// check that both ways build the same projection.
    mutating func advance(in log: EventLog, through end: UInt64, until time: Timestamp?, concurrent: Bool?,
                          progress: ((UInt64) -> Void)?) throws -> UInt64 {
        let reader = try ReplayReader(log: log, from: state.position + 1, through: end, concurrent: concurrent)
        defer { reader.close() }
        // Applied to a copy that replaces the state only at the end: a replay that fails
        // (a record that does not decode) leaves the projection as it was.
        var p = state
        let applied = try Self.apply(reader, to: &p, until: time, progress: progress)
        if applied > 0, let last = try log.record(at: p.position) { p.chainHash = last.chainHash }
        state = p
        return applied
    }

    private static func apply(_ reader: ReplayReader, to p: inout Projection, until time: Timestamp?,
                              progress: ((UInt64) -> Void)?) throws -> UInt64 {
        // Replay is bound by cache misses into the session table and, for the records that
        // are not rotations, into the users' tables: loading what a record touches a few
        // records ahead of applying it lets those misses overlap instead of queueing one
        // behind another. Two stages: far ahead, the session's slot (and a login's name
        // slot); nearer, what those slots lead to, the user's record.
        let ahead = 24
        let near = 8
        var applied: UInt64 = 0
        while let batch = try reader.next() {
            // Through the buffers, so entries are read in place rather than copied out.
            let stopped = batch.entries.withUnsafeBufferPointer { entries -> Bool in
                batch.otherEvents.withUnsafeBufferPointer { events in batch.otherUsers.withUnsafeBufferPointer { users -> Bool in
                    for i in 0..<min(ahead, entries.count) { p.prefetch(entries[i]) }
                    for i in 0..<min(near, entries.count) { p.prefetchUser(entries[i]) }
                    for i in entries.indices {
                        let e = entries[i]
                        if let time, e.time > time { return true }
                        if i + ahead < entries.count { p.prefetch(entries[i + ahead]) }
                        if i + near < entries.count { p.prefetchUser(entries[i + near]) }
                        if e.other == -2 {
                            p.position = e.position
                        } else if e.other < 0 {
                            p.apply(.refreshRotated(RefreshRotated(session: e.session!, generation: e.generation,
                                                                   address: e.sealed ? .sealed(e.ip) : .clear(e.ip))),
                                    user: nil, at: e.time, position: e.position)
                        } else {
                            // Field by field, so that the pair (and its strings) is read in
                            // place rather than copied out for the call.
                            p.apply(events[Int(e.other)], user: users[Int(e.other)], userHash: e.userHash, at: e.time, position: e.position)
                        }
                        applied += 1
                        if applied % 250_000 == 0 { progress?(e.position) }
                    }
                    return false
                } }
            }
            reader.recycle(batch)
            if stopped { break }
        }
        return applied
    }

    /// The user's sessions that were active at `time` (as of the events applied so far),
    /// their personal fields revealed by `personalData` (erased for a forgotten user).
    public func activeSessions(user: String, at time: Timestamp, personalData: PersonalDataReader) -> [SessionInfo] {
        state.activeSessions(of: user, at: time).map { personalData.info($0, current: nil) }
    }

    /// Whether the user is banned.
    public func isBanned(user: String) -> Bool { state.user(user)?.banned ?? false }

    /// Every active session at `time`, for statistics.
    public func activeSessionCount(at time: Timestamp) -> Int {
        state.sessions.reduce(0) { $0 + (state.isActive($1.value, at: time) ? 1 : 0) }
    }
}
