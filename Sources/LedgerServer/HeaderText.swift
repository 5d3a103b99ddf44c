/// Header values compared as HTTP compares them: ASCII letters without regard to case, and
/// without the spaces or tabs around them. On every request (the media type of a body, the
/// `Bearer` scheme), so done on the bytes: Foundation's trimming and lowercasing took about
/// 3% of the server's CPU under an introspection load (BENCHMARKS.md).
enum HeaderText {
    /// Whether `value`, without surrounding spaces and tabs, is `lowercase` in any case.
    static func equals(_ value: some BidirectionalCollection<UInt8>, _ lowercase: StaticString) -> Bool {
        var start = value.startIndex, end = value.endIndex
        while start < end, isSpace(value[start]) { start = value.index(after: start) }
        while start < end, isSpace(value[value.index(before: end)]) { end = value.index(before: end) }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        guard value.distance(from: start, to: end) == expected.count else { return false }
        var i = start
        for b in expected {
            let c = value[i]
            guard (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") ? c | 0x20 : c) == b else { return false }
            i = value.index(after: i)
        }
        return true
    }

    /// Whether a `Content-Type` value's media type (before any `;` parameter) is `lowercase`.
    static func mediaType(of value: String, is lowercase: StaticString) -> Bool {
        equals(value.utf8.prefix { $0 != UInt8(ascii: ";") }, lowercase)
    }

    private static func isSpace(_ c: UInt8) -> Bool { c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") }
}
