import LedgerCodec
/// An error from the event log: match on ``kind`` to react to a specific one; the
/// description says what went wrong and what to do.
public struct LogError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// LMDB refused an operation; the ``LMDBError`` says which and why.
        case storage(LMDBError)
        /// A stored record is damaged.
        case corruptRecord(position: UInt64, String)
        /// A record was written by a newer AuthLedger with a record format this one cannot read.
        case unsupportedRecordFormat(position: UInt64, format: UInt8)
        /// An event given to `append` is not valid.
        case invalidEvent(String)
        /// The log was opened read-only.
        case readOnly
        /// Another process holds the writer lock on this data directory.
        case locked(directory: String, holder: String)
        /// The data directory is unusable (missing, not a directory, no permission).
        case dataDirectory(String)
        /// The map reached `maxMapSize` and cannot grow.
        case full(mapSize: Int)
        /// The log was closed (the engine shut down); open it again to use it.
        case closed
    }

    public let kind: Kind
    init(_ kind: Kind) { self.kind = kind }

    /// The log's form of a record-level error.
    init(_ e: RecordError) {
        switch e.kind {
        case let .corrupt(p, why): kind = .corruptRecord(position: p, why)
        case let .unsupportedFormat(p, f): kind = .unsupportedRecordFormat(position: p, format: f)
        case let .invalidEvent(why): kind = .invalidEvent(why)
        }
    }

    public var description: String {
        switch kind {
        case let .storage(e): return e.description
        case let .corruptRecord(p, why): return "record at position \(p) is corrupt: \(why)"
        case let .unsupportedRecordFormat(p, f):
            return "record at position \(p) has record format \(f), which this version cannot read; upgrade AuthLedger"
        case let .invalidEvent(why): return "invalid event: \(why)"
        case .readOnly: return "the log is open read-only; open it read-write to append"
        case let .locked(dir, holder):
            return "another process (\(holder)) is writing \(dir); stop it, or open the directory read-only"
        case let .dataDirectory(why): return why
        case .closed: return "the log has been closed; open the data directory again to use it"
        case let .full(size):
            return "the log's map reached its maximum size (\(size) bytes); raise LogConfiguration.maxMapSize"
        }
    }
}
