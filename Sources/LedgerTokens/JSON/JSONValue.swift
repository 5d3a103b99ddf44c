/// A JSON value, as found in JOSE headers and JWT claims.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// A number written without fraction or exponent that fits in 64 bits.
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public var stringValue: String? { if case let .string(s) = self { s } else { nil } }
    public var integerValue: Int64? {
        switch self {
        case let .integer(i): return i
        // NumericDate may carry a fraction (RFC 7519 §2); whole seconds are what matter here.
        case let .double(d) where d.isFinite && d.magnitude < 9e15: return Int64(d.rounded(.down))
        default: return nil
        }
    }
    public var objectValue: [String: JSONValue]? { if case let .object(o) = self { o } else { nil } }
    public var arrayValue: [JSONValue]? { if case let .array(a) = self { a } else { nil } }

    /// Compact JSON with object keys sorted, so equal values serialise identically.
    public var serialized: String { serialized(alsoEscaping: nil) }

    /// ``serialized``, with every character for which `extra` is true in a string written
    /// as a `\u` escape as well: for JSON that goes to a terminal, where a character JSON
    /// allows raw (a C1 control, a bidi override) must not reach it.
    public func serialized(alsoEscaping extra: ((Unicode.Scalar) -> Bool)?) -> String {
        var out = [UInt8]()
        write(into: &out, alsoEscaping: extra)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends compact JSON to `out`; `extra` as in ``serialized(alsoEscaping:)``.
    public func write(into out: inout [UInt8], alsoEscaping extra: ((Unicode.Scalar) -> Bool)? = nil) {
        switch self {
        case .null: out += Array("null".utf8)
        case let .bool(b): out += Array((b ? "true" : "false").utf8)
        case let .integer(i): out += Array(String(i).utf8)
        case let .double(d): out += Array((d.isFinite ? "\(d)" : "null").utf8)
        case let .string(s): JSONValue.writeString(s, into: &out, alsoEscaping: extra)
        case let .array(a):
            out.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                v.write(into: &out, alsoEscaping: extra)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(o):
            out.append(UInt8(ascii: "{"))
            for (i, key) in o.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, into: &out, alsoEscaping: extra)
                out.append(UInt8(ascii: ":"))
                o[key]!.write(into: &out, alsoEscaping: extra)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `s` as a JSON string literal, escaping what RFC 8259 requires, and the
    /// characters `extra` picks (see ``serialized(alsoEscaping:)``).
    public static func writeString(_ s: String, into out: inout [UInt8], alsoEscaping extra: ((Unicode.Scalar) -> Bool)? = nil) {
        out.append(UInt8(ascii: "\""))
        // Most strings (ids, names, URLs) need no escaping: copy them in one go. With
        // `extra`, only ASCII below DEL is known not to need it.
        let limit: UInt8 = extra == nil ? 0xff : 0x7e
        let copied: Bool? = s.utf8.withContiguousStorageIfAvailable { u in
            for b in u where b < 0x20 || b > limit || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") { return false }
            out.append(contentsOf: u)
            return true
        }
        if copied == true {
            out.append(UInt8(ascii: "\""))
            return
        }
        let hex = Array("0123456789abcdef".utf8)
        func escape(_ unit: UInt16) {
            out += Array("\\u".utf8) + [12, 8, 4, 0].map { hex[Int(unit >> $0 & 15)] }
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case "\\": out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case "\n": out += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
            case "\r": out += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
            case "\t": out += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
            case _ where scalar.value < 0x20 || extra?(scalar) == true:
                for unit in scalar.utf16 { escape(unit) }
            default: out.append(contentsOf: scalar.utf8)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    public init(nilLiteral: ()) { self = .null }
}
