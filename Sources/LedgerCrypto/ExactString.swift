import Glibc

/// A string that is equal to another only if their UTF-8 bytes are equal.
///
/// Swift's `String` compares by Unicode canonical equivalence, so `"José"` with a
/// precomposed `é` equals `"Jose\u{301}"`. Identifiers chosen by applications (user ids,
/// key ids, device labels) are opaque byte strings: two that differ in any byte are two
/// identities. Every table keyed by such an identifier uses this type as its key.
package struct ExactString: Hashable, Sendable, CustomStringConvertible {
    package let string: String

    package init(_ string: String) { self.string = string }

    package static func == (a: ExactString, b: ExactString) -> Bool { a.string.hasSameBytes(as: b.string) }

    package func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    package var description: String { string }
}

extension String {
    /// Whether the two strings hold the same UTF-8 bytes (not merely canonically
    /// equivalent characters, which is what `==` compares).
    package func hasSameBytes(as other: String) -> Bool {
        var a = self, b = other
        return a.withUTF8 { x in
            b.withUTF8 { y in x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0) }
        }
    }
}
