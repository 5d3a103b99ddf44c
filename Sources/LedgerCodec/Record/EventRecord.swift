import LedgerCrypto

/// One committed event, copied out of the log: safe to keep, send and store.
public struct EventRecord: Sendable, Equatable {
    /// The record's position in the log (1, 2, 3, …; no gaps).
    public let position: UInt64
    /// The record exactly as stored (see `docs/LOG_FORMAT.md`); a future Merkle leaf.
    public let storedBytes: [UInt8]

    package init(position: UInt64, storedBytes: [UInt8]) {
        self.position = position
        self.storedBytes = storedBytes
    }

    /// Calls `body` with a zero-copy view of this record.
    package func withView<R>(_ body: (RecordView) throws -> R) throws -> R {
        try storedBytes.withUnsafeBytes { buf in
            try body(try RecordView(position: position, bytes: buf))
        }
    }

    private func field<R>(_ f: (RecordView) -> R) -> R {
        // A materialised record was validated when it was read, so the view cannot fail.
        try! withView { f($0) }
    }

    public var type: UInt8 { field { $0.type } }
    public var schemaVersion: UInt8 { field { $0.schemaVersion } }
    public var timestamp: Timestamp { field { $0.timestamp } }
    public var user: String? { field { $0.user } }
    public var chainHash: SHA256Digest { field { $0.chainHash } }
    public var payload: [UInt8] { field { v in Array(v.bytes[v.payloadRange]) } }

    /// The record's RFC 9162 Merkle leaf hash, SHA-256(0x00 ‖ the stored bytes): the record
    /// at position p is leaf p − 1 of the log's tree. Stored bytes never change after commit,
    /// so neither does a leaf.
    public var leafHash: SHA256Digest { MerkleTree.leafHash(storedBytes) }
}
