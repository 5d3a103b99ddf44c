import LedgerCodec
import LedgerLog

/// Consecutive stored records decoded for replay. It owns its data, unlike a ``RecordView``
/// (valid only inside its read transaction), so records can be decoded on one thread and
/// applied on another.
///
/// Rotations, nine records in ten, are kept as plain values in ``entries``; the events of
/// other records, which own strings, are kept aside in ``otherEvents``. A batch is thus filled,
/// handed over and freed without copying, retaining or releasing anything per rotation
/// (the figures are in BENCHMARKS.md).
struct ReplayBatch: Sendable {
    /// One record, in log order.
    struct Entry: Sendable {
        let time: Timestamp
        let position: UInt64
        /// The session applying this record reads first, if any, for prefetching; for a
        /// rotation, the session rotated.
        let session: SessionID?
        /// A rotation's new generation and address (unused for other records), the address
        /// as stored: ciphertext bits when `sealed` (schema 2), revealed only on demand.
        let generation: UInt32
        let ip: IPAddress
        let sealed: Bool
        /// A login's ``StringTable/hash(_:)`` of its user, worked out on the reading thread
        /// for replay to start loading the user's slot and record ahead (nil otherwise).
        let userHash: UInt64?
        /// The index of the record's event in ``otherEvents`` (and its user in ``otherUsers``); -1 for a rotation, -2 for an
        /// annotation (nothing to apply).
        let other: Int32
    }

    private(set) var entries: [Entry] = []
    // Two arrays rather than one of pairs: replay passes each element straight from its
    // buffer, where a pair was copied out whole (retaining the event's and the user's
    // storage) for every record that is not a rotation.
    private(set) var otherEvents: [AuthEvent] = []
    private(set) var otherUsers: [String?] = []

    var count: Int { entries.count }

    init() {}

    mutating func reserveCapacity(_ n: Int) { entries.reserveCapacity(n) }

    /// Decodes a record and appends it; errors name its position. Rotations, most of any
    /// log, are read by a short path that skips the user string: a rotation finds its
    /// session by id. Anything unusual in one goes through the general decoder, which names
    /// what is wrong.
    mutating func append(_ view: RecordView) throws {
        if view.isUnknownAnnotation {
            entries.append(Entry(time: view.timestamp, position: view.position, session: nil, generation: 0, ip: .unknown, sealed: false, userHash: nil, other: -2))
            return
        }
        // Schema 1 and 2 share the layout: the address's bytes are the same, clear or sealed.
        if view.type == EventType.refreshRotated.rawValue && (view.schemaVersion == 1 || view.schemaVersion == 2) && view.hasUser {
            var r = view.payload
            if let id = try? r.sessionID(), let generation = try? r.varint(), let ip = try? r.ip(), (try? r.expectEnd()) != nil {
                entries.append(Entry(time: view.timestamp, position: view.position, session: id,
                                     generation: UInt32(exactly: generation) ?? .max, ip: ip, sealed: view.schemaVersion == 2, userHash: nil, other: -1))
                return
            }
        }
        let event = try AuthEvent(decoding: view)
        let user = view.user
        var userHash: UInt64?
        if case .sessionStarted = event, let user { userHash = StringTable.hash(user) }
        entries.append(Entry(time: view.timestamp, position: view.position, session: Self.session(of: event),
                             generation: 0, ip: .unknown, sealed: false, userHash: userHash, other: Int32(otherEvents.count)))
        otherEvents.append(event)
        otherUsers.append(user)
    }

    private static func session(of event: AuthEvent) -> SessionID? {
        switch event {
        case let .sessionStarted(e): e.session
        case let .refreshRotated(e): e.session
        case let .sessionEnded(e): e.session
        case let .sessionRevoked(e): e.session
        default: nil
        }
    }
}
