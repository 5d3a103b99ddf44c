import Hummingbird

/// `application/x-www-form-urlencoded` bodies, as RFC 7662 and RFC 7009 requests are sent.
package enum FormBody {
    static func read(_ request: Request, limit: Int) async throws -> [String: String] {
        try JSONObjectReader.requireContentType(request, "application/x-www-form-urlencoded")
        return try parse(try await JSONObjectReader.collect(request, limit: limit))
    }

    /// Reads `bytes` as form parameters, each at most once (the fuzz target `request-body`
    /// in tools/fuzz drives this).
    package static func parse(_ bytes: [UInt8]) throws -> [String: String] {
        var out: [String: String] = [:]
        for pair in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            let name = try decode(parts[0]), value = try decode(parts.count > 1 ? parts[1] : [])
            // RFC 6749 §3.2: a parameter sent twice is an error, not a choice.
            guard out[name] == nil else { throw Problem.badRequest("the parameter \"\(name)\" is repeated") }
            out[name] = value
        }
        return out
    }

    private static func decode(_ bytes: ArraySlice<UInt8>) throws -> String {
        var out: [UInt8] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if b == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if b == UInt8(ascii: "%") {
                guard let h = hex(bytes, i + 1), let l = hex(bytes, i + 2) else {
                    throw Problem.badRequest("the form body has a broken %-escape")
                }
                out.append(h << 4 | l)
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        guard let s = String(validating: out, as: UTF8.self) else { throw Problem.badRequest("the form body is not valid UTF-8") }
        return s
    }

    private static func hex(_ bytes: ArraySlice<UInt8>, _ i: Int) -> UInt8? {
        guard i < bytes.endIndex else { return nil }
        switch bytes[i] {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return bytes[i] - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return bytes[i] - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return bytes[i] - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
