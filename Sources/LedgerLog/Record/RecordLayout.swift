import LedgerCrypto

/// The stored byte layout of one log record (format 1). Documented in `docs/LOG_FORMAT.md`;
/// these bytes never change once written, so a record can later be a Merkle leaf.
///
/// ```
/// offset  size  field
/// 0       1     record format (1)
/// 1       1     event type (1...255)
/// 2       1     event schema version
/// 3       1     user id length U (0 = the event belongs to no user)
/// 4       8     timestamp, µs since the Unix epoch, Int64 little-endian
/// 12      U     user id, UTF-8
/// 12+U    P     payload (layout set by the event type and schema version)
/// end-32  32    chain hash = SHA-256(previous chain hash ‖ position as UInt64 LE ‖ bytes[0 ..< end-32])
/// ```
/// The key is the position (UInt64, native order, `MDB_INTEGERKEY`).
enum RecordLayout {
    static let format: UInt8 = 1
    static let headerSize = 12
    static let hashSize = 32
    static let minimumSize = headerSize + hashSize
    static let maxUserLength = 255

    /// Writes the record body (everything but the chain hash) followed by room for the hash.
    static func encode(_ event: PendingEvent, timestamp: Timestamp, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        let user = event.user.map { Array($0.utf8) } ?? []
        out.append(format)
        out.append(event.type)
        out.append(event.schemaVersion)
        out.append(UInt8(user.count))
        withUnsafeBytes(of: timestamp.microseconds.littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: user)
        out.append(contentsOf: event.payload)
        out.append(contentsOf: repeatElement(0, count: hashSize))
    }

    /// The chain hash of a record body at `position` following `previous`.
    static func chainHash(previous: SHA256Digest, position: UInt64, body: UnsafeRawBufferPointer, hasher: SHA256) -> SHA256Digest {
        var prev = previous
        var pos = position.littleEndian
        return withUnsafeBytes(of: &prev) { p in
            withUnsafeBytes(of: &pos) { q in hasher.hash(p, q, body) }
        }
    }
}
