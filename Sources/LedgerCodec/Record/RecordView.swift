import LedgerCrypto

/// A zero-copy view of one stored record, handed to the closures of
/// ``EventLog/scan(from:through:batchSize:_:)``. Valid only inside that closure: it
/// borrows bytes from the memory map. Reading fields never allocates, except ``user``
/// for ids longer than 15 bytes.
///
/// `package`, like every scan that hands one out: a view kept past its closure would read
/// memory that is no longer mapped. Outside this package, records are read as
/// ``EventRecord`` values (`EventLog.read(from:limit:)`, `record(at:)`,
/// `events(ofUser:from:)`, `tail(from:batchSize:)`) and decoded with `LoggedEvent.init(_:)`.
package struct RecordView {
    /// The record's position in the log (1, 2, 3, …).
    package let position: UInt64
    @usableFromInline package let bytes: UnsafeRawBufferPointer

    /// Checks the envelope; never trusts lengths it has not bounded. Inlinable: the log's
    /// scans build one view per record, from another module.
    @inlinable
    package init(position: UInt64, bytes: UnsafeRawBufferPointer) throws(RecordError) {
        self.position = position
        self.bytes = bytes
        guard bytes.count >= RecordLayout.minimumSize, bytes[0] == RecordLayout.format,
              RecordLayout.minimumSize + Int(bytes[3]) <= bytes.count else {
            throw Self.envelopeError(position: position, bytes: bytes)
        }
    }

    /// Why an envelope is refused (out of line: only damaged or newer records get here).
    @usableFromInline
    static func envelopeError(position: UInt64, bytes: UnsafeRawBufferPointer) -> RecordError {
        if bytes.count < RecordLayout.minimumSize {
            return RecordError(.corrupt(position: position, "record is \(bytes.count) bytes, shorter than the \(RecordLayout.minimumSize)-byte minimum"))
        }
        if bytes[0] != RecordLayout.format { return RecordError(.unsupportedFormat(position: position, format: bytes[0])) }
        return RecordError(.corrupt(position: position, "user id length \(bytes[3]) runs past the record's end"))
    }

    @inlinable package var type: UInt8 { bytes[1] }
    @inlinable package var schemaVersion: UInt8 { bytes[2] }
    @inlinable package var timestamp: Timestamp {
        Timestamp(microseconds: Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: 4, as: Int64.self)))
    }
    @inlinable package var userLength: Int { Int(bytes[3]) }

    /// Whether the record is an annotation of a type this build does not know, which every
    /// reader skips (see `EventType.annotations`).
    @inlinable package var isUnknownAnnotation: Bool { EventType.isUnknownAnnotation(type) }

    /// Whether the record belongs to a user (global events, such as key changes, do not).
    @inlinable package var hasUser: Bool { bytes[3] > 0 }
    @inlinable package var payloadRange: Range<Int> { (RecordLayout.headerSize + userLength)..<(bytes.count - RecordLayout.hashSize) }

    /// The user the event belongs to, if any.
    package var user: String? {
        guard userLength > 0 else { return nil }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[RecordLayout.headerSize..<RecordLayout.headerSize + userLength]), as: UTF8.self)
    }

    /// Whether the user id is valid UTF-8, as every writer writes it. ``user`` would read
    /// other bytes with replacement characters: another id, possibly a longer one.
    package var userIsValidUTF8: Bool {
        let u = UnsafeRawBufferPointer(rebasing: bytes[RecordLayout.headerSize..<RecordLayout.headerSize + userLength])
        // Ids are almost always ASCII: one pass, no decoder.
        if !u.contains(where: { $0 >= 0x80 }) { return true }
        var decoder = UTF8()
        var input = u.makeIterator()
        while true {
            switch decoder.decode(&input) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// Whether the record belongs to `user`, compared without allocating.
    package func belongs(to user: String) -> Bool {
        var user = user
        return user.withUTF8 { u in
            u.count == userLength && memcmp(u.baseAddress!, bytes.baseAddress! + RecordLayout.headerSize, userLength) == 0
        }
    }

    /// A reader positioned at the start of the payload (it borrows the record's bytes).
    @inlinable package var payload: ByteReader { ByteReader(UnsafeRawBufferPointer(rebasing: bytes[payloadRange])) }

    /// The payload size in bytes.
    @inlinable package var payloadCount: Int { payloadRange.count }

    /// The stored chain hash.
    package var chainHash: SHA256Digest {
        SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - RecordLayout.hashSize)...]) as UnsafeRawBufferPointer)!
    }

    /// The bytes the chain hash covers (all but the hash itself).
    package var body: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[..<(bytes.count - RecordLayout.hashSize)]) }

    /// Copies the record out of the map.
    package func materialize() -> EventRecord { EventRecord(position: position, storedBytes: Array(bytes)) }
}

import Glibc
