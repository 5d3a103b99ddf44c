import Hummingbird
import LedgerTokens
import NIOCore

/// Request bodies read strictly: one JSON object, every member known and of the right type,
/// no duplicates, valid UTF-8. Anything else is refused before a command is made from it.
package struct JSONObjectReader {
    private var members: [String: JSONValue]
    private var read: Set<String> = []

    /// Reads the body of `request` as a JSON object, up to `limit` bytes.
    /// - Parameter allowEmpty: an empty body (for a route whose members are all optional)
    ///   reads as `{}`, with or without a content type.
    static func read(_ request: Request, limit: Int, allowEmpty: Bool = false) async throws -> JSONObjectReader {
        if !allowEmpty { try requireContentType(request, "application/json") }
        let bytes = try await collect(request, limit: limit)
        if allowEmpty {
            if bytes.isEmpty { return JSONObjectReader(members: [:]) }
            try requireContentType(request, "application/json")
        }
        return try parse(bytes)
    }

    /// Reads `bytes` as one JSON object: what `read` does once the body is collected (and
    /// what the fuzz target `request-body` in tools/fuzz drives).
    package static func parse(_ bytes: [UInt8]) throws -> JSONObjectReader {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw Problem.malformedJSON(error.description) }
        guard let object = value.objectValue else { throw Problem.badRequest("the body must be a JSON object") }
        return JSONObjectReader(members: object)
    }

    init(members: [String: JSONValue]) { self.members = members }

    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit { throw Problem.bodyTooLarge(limit) }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw Problem.bodyTooLarge(limit)
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw Problem.bodyTooLarge(limit)
        }
    }

    static func requireContentType(_ request: Request, _ expected: StaticString) throws {
        guard let value = request.headers[.contentType], HeaderText.mediaType(of: value, is: expected) else {
            throw Problem.unsupportedMediaType("\(expected)")
        }
    }

    package mutating func string(_ name: String) throws -> String {
        guard let s = try optionalString(name) else { throw Problem.badRequest("the member \"\(name)\" is required") }
        return s
    }

    package mutating func optionalString(_ name: String) throws -> String? {
        read.insert(name)
        switch members[name] {
        case nil, .null?: return nil
        case let .string(s)?: return s
        default: throw Problem.badRequest("the member \"\(name)\" must be a string")
        }
    }

    package mutating func optionalBool(_ name: String) throws -> Bool? {
        read.insert(name)
        switch members[name] {
        case nil, .null?: return nil
        case let .bool(b)?: return b
        default: throw Problem.badRequest("the member \"\(name)\" must be true or false")
        }
    }

    package mutating func optionalObject(_ name: String) throws -> [String: JSONValue]? {
        read.insert(name)
        switch members[name] {
        case nil, .null?: return nil
        case let .object(o)?: return o
        default: throw Problem.badRequest("the member \"\(name)\" must be an object")
        }
    }

    package mutating func optionalStringList(_ name: String) throws -> [String]? {
        read.insert(name)
        switch members[name] {
        case nil, .null?: return nil
        case let .array(items)?:
            let strings = items.compactMap(\.stringValue)
            guard strings.count == items.count else { throw Problem.badRequest("the member \"\(name)\" must be a list of strings") }
            return strings
        default: throw Problem.badRequest("the member \"\(name)\" must be a list of strings")
        }
    }

    /// Refuses members nobody read: a misspelt optional field must not be silently dropped.
    package func finish() throws {
        let extra = Set(members.keys).subtracting(read).sorted()
        guard extra.isEmpty else {
            throw Problem.badRequest("unknown member\(extra.count > 1 ? "s" : "") \(extra.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
    }
}

/// JSON responses, written by the project's own serializer (the same that writes tokens).
enum JSONBody {
    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json") -> Response {
        var bytes: [UInt8] = []
        value.write(into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
