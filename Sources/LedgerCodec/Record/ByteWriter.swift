/// Appends little-endian integers, LEB128 varints and length-prefixed strings to a byte
/// array: the building blocks of every payload's documented layout.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    public mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    public mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// Unsigned LEB128: 1 byte below 128, at most 10 bytes.
    public mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func raw<C: Collection>(_ c: C) where C.Element == UInt8 { bytes.append(contentsOf: c) }

    /// A varint length, then the bytes.
    public mutating func lengthPrefixed<C: Collection>(_ c: C) where C.Element == UInt8 {
        varint(UInt64(c.count))
        bytes.append(contentsOf: c)
    }

    /// A varint length, then the UTF-8 bytes.
    public mutating func string(_ s: String) { lengthPrefixed(s.utf8) }
}
