/// Why stored bytes are not a record this version can read, or why an event cannot be
/// written as one. The log reports these as ``LogError``s; a process that only decodes
/// records (a verifier, a follower) sees them directly.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The record is damaged: too short, or a length runs past its end.
        case corrupt(position: UInt64, String)
        /// The record was written by a newer AuthLedger in a record format this one cannot read.
        case unsupportedFormat(position: UInt64, format: UInt8)
        /// An event cannot be written as a record (type 0, a user id or a record too long).
        case invalidEvent(String)
    }

    public let kind: Kind
    public init(_ kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case let .corrupt(p, why): "record at position \(p) is corrupt: \(why)"
        case let .unsupportedFormat(p, f): "record at position \(p) has record format \(f), which this version cannot read; upgrade AuthLedger"
        case let .invalidEvent(why): "invalid event: \(why)"
        }
    }
}
