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
@usableFromInline
package enum RecordLayout {
    @usableFromInline package static let format: UInt8 = 1
    @usableFromInline package static let headerSize = 12
    @usableFromInline package static let hashSize = 32
    @usableFromInline package static let minimumSize = headerSize + hashSize
    package static let maxUserLength = 255
    /// The largest record the writer accepts, so that every reader, whatever its buffers,
    /// can read every record back.
    package static let maxRecordSize = 65_535

    /// Writes the record body followed by room for the hash into `buffer`, and returns
    /// the record's bytes (valid until the next encode).
    package static func encode(_ event: PendingEvent, timestamp: Timestamp, into buffer: RecordBuffer) -> UnsafeMutableRawBufferPointer {
        var user = event.user ?? ""
        return user.withUTF8 { u in
            let size = headerSize + u.count + event.payload.count + hashSize
            // Unchecked stores into a buffer reused across events: this runs per event on
            // the writer's hot path.
            let o = buffer.reserve(size)
            o[0] = format
            o[1] = event.type
            o[2] = event.schemaVersion
            o[3] = UInt8(u.count)
            o.storeBytes(of: timestamp.microseconds.littleEndian, toByteOffset: 4, as: Int64.self)
            UnsafeMutableRawBufferPointer(rebasing: o[headerSize...]).copyMemory(from: UnsafeRawBufferPointer(u))
            event.payload.withUnsafeBytes { p in
                UnsafeMutableRawBufferPointer(rebasing: o[(headerSize + u.count)...]).copyMemory(from: p)
            }
            return o
        }
    }

    /// The chain hash of a record body at `position` following `previous`.
    package static func chainHash(previous: SHA256Digest, position: UInt64, body: UnsafeRawBufferPointer, hasher: SHA256) -> SHA256Digest {
        var prev = previous
        var pos = position.littleEndian
        return withUnsafeBytes(of: &prev) { p in
            withUnsafeBytes(of: &pos) { q in hasher.hash(p, q, body) }
        }
    }
}

/// A growable scratch buffer owned by the writer, so encoding allocates nothing per event.
package final class RecordBuffer {
    private var storage: UnsafeMutableRawBufferPointer

    package init(capacity: Int = 4096) {
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    deinit { storage.deallocate() }

    /// The first `size` bytes, growing the buffer if needed (contents are not preserved).
    package func reserve(_ size: Int) -> UnsafeMutableRawBufferPointer {
        if size > storage.count {
            storage.deallocate()
            storage = .allocate(byteCount: max(size, storage.count * 2), alignment: 8)
        }
        return UnsafeMutableRawBufferPointer(rebasing: storage[..<size])
    }
}
