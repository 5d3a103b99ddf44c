/// Text read from a token before it is verified (header values such as `kid` and `alg`,
/// claims), made safe to put in an error message, a log line or a terminal: an attacker
/// chooses it, and raw control characters, newlines or quotes could forge log entries,
/// drive a terminal or pass for the message's own text.
public enum UntrustedText {
    /// Longer text is cut: a message needs enough to recognise the value, not all of it.
    public static let maxCharacters = 128

    /// `text` with everything outside printable ASCII, and `"` and `\`, written as `\uXXXX`
    /// (UTF-16 code units, as in JSON), cut after ``maxCharacters`` characters.
    public static func escaped(_ text: String) -> String {
        var out = ""
        for (i, scalar) in text.unicodeScalars.enumerated() {
            if i == maxCharacters { return out + "...(cut)" }
            if scalar.value >= 0x20 && scalar.value < 0x7f && scalar != "\"" && scalar != "\\" {
                out.unicodeScalars.append(scalar)
            } else {
                for unit in String(scalar).utf16 {
                    let hex = String(unit, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                }
            }
        }
        return out
    }

    /// ``escaped(_:)`` in double quotes.
    public static func quoted(_ text: String) -> String { "\"" + escaped(text) + "\"" }
}
