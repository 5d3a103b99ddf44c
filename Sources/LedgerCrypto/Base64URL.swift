/// Base64url without padding (RFC 4648 §5), as JOSE uses it (RFC 7515 §2).
///
/// Decoding is strict: only the URL-safe alphabet, no padding, no whitespace, and the
/// encoding must be canonical (unused low bits of the last character are zero), so each
/// byte string has exactly one accepted encoding and tokens cannot be varied without
/// changing their meaning.
public enum Base64URL {
    @usableFromInline static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    @usableFromInline static let decodeTable: [UInt8] = {
        var t = [UInt8](repeating: 0xff, count: 256)
        for (i, c) in alphabet.enumerated() { t[Int(c)] = UInt8(i) }
        return t
    }()

    /// Encodes bytes.
    public static func encode<Bytes: ByteStorage>(_ bytes: Bytes) -> String {
        let length = bytes.withUnsafeBytes { encodedLength($0.count) }
        return String(unsafeUninitializedCapacity: length) { out in
            encode(bytes, into: out)
            return length
        }
    }

    /// The number of characters encoding `count` bytes.
    public static func encodedLength(_ count: Int) -> Int { (count * 4 + 2) / 3 }

    /// Appends the encoding of `bytes` to `out`.
    public static func encode<Bytes: ByteStorage>(_ bytes: Bytes, into out: inout [UInt8]) {
        let start = out.count
        let length = bytes.withUnsafeBytes { encodedLength($0.count) }
        out.append(contentsOf: repeatElement(0, count: length))
        out.withUnsafeMutableBufferPointer { o in encode(bytes, into: UnsafeMutableBufferPointer(rebasing: o[start...])) }
    }

    /// Writes the encoding of `bytes` at the start of `out`, which must hold
    /// `encodedLength(bytes.count)` bytes.
    package static func encode<Bytes: ByteStorage>(_ bytes: Bytes, into o: UnsafeMutableBufferPointer<UInt8>) {
        bytes.withUnsafeBytes { encode($0, into: o) }
    }

    /// The concrete form of the generic `encode(_:into:)`, for callers in other modules.
    package static func encode(_ src: UnsafeRawBufferPointer, into o: UnsafeMutableBufferPointer<UInt8>) {
        precondition(o.count >= encodedLength(src.count), "Base64URL.encode: the output buffer is too small")
        // Written through raw pointers: this runs on every token issued.
        alphabet.withUnsafeBufferPointer { a in
            var i = 0, w = 0
            while i + 3 <= src.count {
                let v = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                o[w] = a[Int(v >> 18 & 63)]; o[w + 1] = a[Int(v >> 12 & 63)]
                o[w + 2] = a[Int(v >> 6 & 63)]; o[w + 3] = a[Int(v & 63)]
                i += 3; w += 4
            }
            let rest = src.count - i
            if rest > 0 {
                let v = UInt32(src[i]) << 16 | (rest == 2 ? UInt32(src[i + 1]) << 8 : 0)
                o[w] = a[Int(v >> 18 & 63)]; o[w + 1] = a[Int(v >> 12 & 63)]
                if rest == 2 { o[w + 2] = a[Int(v >> 6 & 63)] }
            }
        }
    }

    /// Decodes strictly; nil for any character outside the alphabet, padding, an impossible
    /// length, or a non-canonical final character.
    public static func decode(_ text: [UInt8]) -> [UInt8]? {
        text.withUnsafeBufferPointer { decode($0) }
    }

    /// Decodes a string strictly.
    public static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode($0) }
    }

    /// Decodes UTF-8 bytes strictly. Concrete rather than generic, so it is fast when
    /// called from other modules.
    package static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        if text.count % 4 == 1 { return nil }
        var out = [UInt8](repeating: 0, count: decodedLength(text.count))
        let written = out.withUnsafeMutableBytes { decode(text, into: $0) }
        return written == nil ? nil : out
    }

    /// The number of bytes `count` characters decode to (for a length that can occur).
    public static func decodedLength(_ count: Int) -> Int { count * 3 / 4 }

    /// Decodes strictly into the start of `out`, which must hold `decodedLength(text.count)`
    /// bytes; returns that many, or nil for anything the other decoders refuse.
    /// Allocates nothing.
    package static func decode(_ text: UnsafeBufferPointer<UInt8>, into o: UnsafeMutableRawBufferPointer) -> Int? {
        let n = text.count
        if n % 4 == 1 { return nil }
        precondition(o.count >= decodedLength(n), "Base64URL.decode: the output buffer is too small")
        let ok = decodeTable.withUnsafeBufferPointer { table -> Bool in
            var acc: UInt32 = 0
            var bits = 0
            var w = 0
            for c in text {
                let v = table[Int(c)]
                if v == 0xff { return false }
                acc = acc << 6 | UInt32(v)
                bits += 6
                if bits >= 8 {
                    bits -= 8
                    o[w] = UInt8(truncatingIfNeeded: acc >> UInt32(bits))
                    w += 1
                }
            }
            // Leftover bits must be zero, or two different strings would decode to the same bytes.
            return bits == 0 || acc & ((1 << UInt32(bits)) - 1) == 0
        }
        return ok ? decodedLength(n) : nil
    }
}
