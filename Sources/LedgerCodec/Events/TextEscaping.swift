/// The one way a string that came from outside (user ids, device labels, user agents,
/// actors, reasons, kids) is put into text meant for a terminal or a line-oriented log.
///
/// The value is always quoted, so a space or a `key=value` inside it cannot pass for
/// another field; and everything that could end the line, move the cursor, recolour the
/// terminal or reorder what the operator reads is written as an escape, so one event is
/// one line and the terminal only ever receives printable text. Described in
/// `docs/EVENTS.md` ("Text form").
public enum TextEscaping {
    /// `value` between double quotes, with `"` and `\` backslash-escaped, `\n`, `\r` and
    /// `\t` in their short forms, and every other character of ``isEscaped(_:)`` as
    /// `\u{hex}` (for example `\u{1b}`, `\u{9b}`, `\u{202e}`).
    public static func quoted(_ value: String) -> String {
        var out = "\""
        out.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where isEscaped(scalar): appendEscape(scalar, to: &out)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `text` with the characters of ``isEscaped(_:)`` written as `\u{hex}` and nothing
    /// else changed: the last line of defence for a whole line or message whose values
    /// were quoted already (or that embeds text from a library that did not quote it,
    /// such as a token's `kid` in a verification error).
    public static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isEscaped) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isEscaped(scalar) { appendEscape(scalar, to: &out) } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    private static func appendEscape(_ scalar: Unicode.Scalar, to out: inout String) {
        out += "\\u{" + String(scalar.value, radix: 16) + "}"
    }

    /// Characters a terminal acts on rather than shows, or that change how the rest of
    /// the line reads: C0 controls, DEL, C1 controls (U+009B is a one-character CSI on
    /// many terminals), the Unicode line and paragraph separators, and the bidirectional
    /// formatting characters (embeddings, overrides, isolates and marks).
    public static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1f, 0x7f...0x9f: true
        case 0x2028, 0x2029: true
        case 0x202a...0x202e, 0x2066...0x2069: true
        case 0x200e, 0x200f, 0x061c: true
        default: false
        }
    }
}
