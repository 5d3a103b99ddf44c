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
    public static func encode<Bytes: ContiguousBytes>(_ bytes: Bytes) -> String {
        var out = [UInt8]()
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends the encoding of `bytes` to `out`.
    public static func encode<Bytes: ContiguousBytes>(_ bytes: Bytes, into out: inout [UInt8]) {
        bytes.withUnsafeBytes { src in
            out.reserveCapacity(out.count + (src.count * 4 + 2) / 3)
            var i = 0
            while i + 3 <= src.count {
                let v = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8 | UInt32(src[i + 2])
                out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
                out.append(alphabet[Int(v >> 6 & 63)]); out.append(alphabet[Int(v & 63)])
                i += 3
            }
            let rest = src.count - i
            if rest == 1 {
                let v = UInt32(src[i]) << 16
                out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
            } else if rest == 2 {
                let v = UInt32(src[i]) << 16 | UInt32(src[i + 1]) << 8
                out.append(alphabet[Int(v >> 18 & 63)]); out.append(alphabet[Int(v >> 12 & 63)])
                out.append(alphabet[Int(v >> 6 & 63)])
            }
        }
    }

    /// Decodes strictly; nil for any character outside the alphabet, padding, an impossible
    /// length, or a non-canonical final character.
    public static func decode<Chars: Collection>(_ text: Chars) -> [UInt8]? where Chars.Element == UInt8 {
        let n = text.count
        if n % 4 == 1 { return nil }
        var out = [UInt8]()
        out.reserveCapacity(n * 3 / 4)
        var acc: UInt32 = 0
        var bits = 0
        for c in text {
            let v = decodeTable[Int(c)]
            if v == 0xff { return nil }
            acc = acc << 6 | UInt32(v)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: acc >> UInt32(bits)))
            }
        }
        // Leftover bits must be zero, or two different strings would decode to the same bytes.
        if bits > 0 && acc & ((1 << UInt32(bits)) - 1) != 0 { return nil }
        return out
    }

    /// Decodes a string strictly.
    public static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)) }
}
