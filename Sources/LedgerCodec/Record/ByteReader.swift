/// Reads what ``ByteWriter`` wrote, from bytes borrowed from the map or an array.
///
/// Every read is bounds-checked and throws ``PayloadError`` rather than trapping, so a
/// damaged or hostile record can never crash a reader. Reads never allocate except
/// ``bytes(_:)`` and ``string()``.
@frozen @usableFromInline
package struct ByteReader {
    @usableFromInline package let base: UnsafeRawBufferPointer
    @usableFromInline package var cursor: Int
    /// Bytes read so far.
    @inlinable package var offset: Int { cursor }

    /// A reader over `base`, which must stay valid while the reader is used.
    @inlinable package init(_ base: UnsafeRawBufferPointer) {
        self.base = base
        self.cursor = 0
    }

    /// Bytes not read yet.
    @inlinable package var remaining: Int { base.count - offset }

    @inlinable @inline(__always)
    package mutating func take(_ n: Int) throws(PayloadError) -> Int {
        guard n >= 0, n <= remaining else { throw PayloadError.truncated(at: offset, needed: n) }
        defer { cursor += n }
        return cursor
    }

    @inlinable package mutating func u8() throws(PayloadError) -> UInt8 { base[try take(1)] }

    @inlinable package mutating func u32() throws(PayloadError) -> UInt32 {
        UInt32(littleEndian: base.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self))
    }

    @inlinable package mutating func u64() throws(PayloadError) -> UInt64 {
        UInt64(littleEndian: base.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self))
    }

    @inlinable package mutating func i64() throws(PayloadError) -> Int64 { Int64(bitPattern: try u64()) }

    @inlinable package mutating func varint() throws(PayloadError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try u8()
            if shift == 63 && b > 1 { throw PayloadError.malformed("varint overflows 64 bits", at: offset - 1) }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// `n` bytes copied out.
    @inlinable package mutating func bytes(_ n: Int) throws(PayloadError) -> [UInt8] {
        let start = try take(n)
        return Array(base[start..<start + n])
    }

    /// A varint length, then that many bytes.
    @inlinable package mutating func lengthPrefixed(max: Int = 1 << 16) throws(PayloadError) -> [UInt8] {
        let n = try varint()
        guard n <= UInt64(max) else { throw PayloadError.malformed("length \(n) exceeds \(max)", at: offset) }
        return try bytes(Int(n))
    }

    /// A varint length, then that many UTF-8 bytes; invalid UTF-8 is an error, not repaired.
    @inlinable package mutating func string(max: Int = 1 << 16) throws(PayloadError) -> String {
        let n = try varint()
        guard n <= UInt64(max) else { throw PayloadError.malformed("string length \(n) exceeds \(max)", at: offset) }
        let start = try take(Int(n))
        let slice = UnsafeRawBufferPointer(rebasing: base[start..<start + Int(n)])
        guard let s = String(validating: slice, as: UTF8.self) else {
            throw PayloadError.malformed("string is not valid UTF-8", at: start)
        }
        return s
    }

    /// Throws unless every byte was consumed, so trailing garbage is never ignored.
    @inlinable package func expectEnd() throws(PayloadError) {
        if remaining != 0 { throw PayloadError.malformed("\(remaining) unexpected trailing bytes", at: offset) }
    }
}

/// Why a payload could not be read.
public enum PayloadError: Error, Sendable, Equatable, CustomStringConvertible {
    case truncated(at: Int, needed: Int)
    case malformed(String, at: Int)

    public var description: String {
        switch self {
        case let .truncated(at, needed): return "payload truncated: needed \(needed) more bytes at offset \(at)"
        case let .malformed(what, at): return "malformed payload at offset \(at): \(what)"
        }
    }
}
