/// Byte-level helpers shared by every module: hex, base64url, constant-time comparison.

/// Bytes in contiguous memory (arrays, slices, buffers) that the hashes, MACs and encoders
/// read without copying. (Named apart from Foundation's `ContiguousBytes`, which a file
/// importing both modules would otherwise find ambiguous.)
public protocol ByteStorage {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ByteStorage where Element == UInt8 {}
extension ArraySlice: ByteStorage where Element == UInt8 {}
extension UnsafeRawBufferPointer: ByteStorage {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(self) }
}

/// Hexadecimal digits, one at a time, for the encoders and parsers of ids and digests.
public enum Hex {
    /// The lower-case digit for `v` (0...15).
    @inlinable public static func digit(_ v: UInt8) -> UInt8 {
        v < 10 ? UInt8(ascii: "0") &+ v : UInt8(ascii: "a") &+ (v &- 10)
    }

    /// The value of a hex digit (either case), or nil.
    @inlinable public static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c &- UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c &- UInt8(ascii: "a") &+ 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c &- UInt8(ascii: "A") &+ 10
        default: return nil
        }
    }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hexadecimal.
    public var hexString: String {
        var out = [UInt8]()
        out.reserveCapacity(underestimatedCount * 2)
        for b in self {
            out.append(Hex.digit(b >> 4))
            out.append(Hex.digit(b & 0x0f))
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Parses hexadecimal (either case); nil for an odd length or a non-hex character.
    public init?(hex: String) {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = Hex.value(chars[i]), let lo = Hex.value(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        self = out
    }
}

/// Compares two byte strings in time that depends only on their lengths.
///
/// Use it for anything derived from a secret (MACs, token verifiers): an early exit
/// would tell an attacker how many leading bytes they guessed right.
public func constantTimeEquals<A: ByteStorage, B: ByteStorage>(_ a: A, _ b: B) -> Bool {
    a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in
            guard pa.count == pb.count else { return false }
            var diff: UInt8 = 0
            for i in 0..<pa.count { diff |= pa[i] ^ pb[i] }
            return diff == 0
        }
    }
}
