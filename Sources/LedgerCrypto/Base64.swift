/// Standard, padded base64 (RFC 4648 §4), as C2SP notes, checkpoints and proofs use it.
///
/// Built on ``Base64URL``: the two alphabets differ only in the last two characters, so
/// the same strict decoder (canonical encodings only) serves both.
public enum Base64 {
    /// Encodes bytes with `+`, `/` and `=` padding.
    public static func encode<Bytes: ByteStorage>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        Base64URL.encode(bytes, into: &out)
        for i in out.indices {
            if out[i] == UInt8(ascii: "-") { out[i] = UInt8(ascii: "+") } else if out[i] == UInt8(ascii: "_") { out[i] = UInt8(ascii: "/") }
        }
        while out.count % 4 != 0 { out.append(UInt8(ascii: "=")) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded standard base64 strictly; nil for a missing or extra `=`, the URL-safe
    /// characters, whitespace, or non-canonical final bits.
    public static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var padding = 0
        while padding < 2, chars.last == UInt8(ascii: "=") {
            chars.removeLast()
            padding += 1
        }
        for i in chars.indices {
            switch chars[i] {
            case UInt8(ascii: "+"): chars[i] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): chars[i] = UInt8(ascii: "_")
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "="): return nil
            default: break
            }
        }
        // Padding must be exactly what the length needs: "QQ" needs "==", "QUI" needs "=".
        guard (4 - chars.count % 4) % 4 == padding else { return nil }
        return Base64URL.decode(chars)
    }
}
