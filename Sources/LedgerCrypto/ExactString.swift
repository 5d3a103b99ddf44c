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
        let hashed: Void? = string.utf8.withContiguousStorageIfAvailable { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        if hashed == nil {
            var s = string
            s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    package var description: String { string }
}

extension String {
    /// Whether the two strings hold the same UTF-8 bytes (not merely canonically
    /// equivalent characters, which is what `==` compares).
    package func hasSameBytes(as other: String) -> Bool {
        // Native strings lend their bytes without a copy (`withUTF8` needs a mutable copy,
        // a retain and release per call: measurable in replay, which compares devices on
        // every login); bridged or lazy ones are made contiguous first.
        let borrowed = utf8.withContiguousStorageIfAvailable { x in
            other.utf8.withContiguousStorageIfAvailable { y in Self.equal(x, y) }
        }
        if let result = borrowed ?? nil { return result }
        var a = self, b = other
        return a.withUTF8 { x in b.withUTF8 { y in Self.equal(x, y) } }
    }

    private static func equal(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Bool {
        x.count == y.count && (x.count == 0 || memcmp(x.baseAddress!, y.baseAddress!, x.count) == 0)
    }
}
