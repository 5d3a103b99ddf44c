/// An event on its way into the log: what the caller decides. The log adds the
/// position, the timestamp (unless given) and the chain hash.
public struct PendingEvent: Sendable, Equatable {
    /// The event type code (1...255); its meaning belongs to the event catalogue.
    public var type: UInt8
    /// The payload's schema version, so old records stay readable when a type evolves.
    public var schemaVersion: UInt8
    /// The user the event belongs to, indexed for per-user history; nil for global events.
    public var user: String?
    /// The encoded payload.
    public var payload: [UInt8]
    /// When it happened; nil takes the log clock's time at commit.
    public var timestamp: Timestamp?

    public init(type: UInt8, schemaVersion: UInt8, user: String?, payload: [UInt8], timestamp: Timestamp? = nil) {
        self.type = type
        self.schemaVersion = schemaVersion
        self.user = user
        self.payload = payload
        self.timestamp = timestamp
    }

    package func validate() throws(RecordError) {
        if type == 0 { throw RecordError(.invalidEvent("event type 0 is reserved")) }
        let userBytes = user?.utf8.count ?? 0
        if let user {
            let n = user.utf8.count
            if n == 0 { throw RecordError(.invalidEvent("user id is empty (use nil for events without a user)")) }
            if n > RecordLayout.maxUserLength {
                throw RecordError(.invalidEvent("user id is \(n) bytes; at most \(RecordLayout.maxUserLength) are allowed"))
            }
        }
        let size = RecordLayout.headerSize + userBytes + payload.count + RecordLayout.hashSize
        if size > RecordLayout.maxRecordSize {
            throw RecordError(.invalidEvent("the record would be \(size) bytes; at most \(RecordLayout.maxRecordSize) are allowed"))
        }
    }
}
