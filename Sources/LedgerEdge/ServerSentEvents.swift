/// One dispatched Server-Sent Event.
struct ServerSentEvent: Sendable, Equatable {
    var type: String
    var id: String?
    var data: String
}

/// An incremental parser for `text/event-stream` (the WHATWG HTML "event stream
/// interpretation"): fed bytes as they arrive, it returns the events completed so far.
/// Lines end with LF, CRLF or CR; a line starting with `:` is a comment; a blank line
/// dispatches the event.
struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var type = ""
    private var id: String?
    private var data: [String] = []
    /// The id of the last event dispatched with one (what `Last-Event-ID` carries).
    private(set) var lastEventID: String?
    /// Longest line accepted: a server that never ends a line must not exhaust memory.
    static let maximumLineBytes = 1 << 20

    mutating func feed(_ bytes: some Sequence<UInt8>) throws(EdgeError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for b in bytes {
            if b == UInt8(ascii: "\n") && lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = b == UInt8(ascii: "\r")
            if b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
                if let event = endLine() { events.append(event) }
            } else {
                guard line.count < Self.maximumLineBytes else {
                    throw EdgeError(.server, "an event-stream line is longer than \(Self.maximumLineBytes) bytes", remedy: "check that the URL is an AuthLedger server")
                }
                line.append(b)
            }
        }
        return events
    }

    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer { type = ""; data = [] }
            guard !data.isEmpty else { return nil }
            if let id { lastEventID = id }
            return ServerSentEvent(type: type.isEmpty ? "message" : type, id: id, data: data.joined(separator: "\n"))
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = String(decoding: line[..<colon], as: UTF8.self)
        var valueStart = colon < line.endIndex ? colon + 1 : colon
        if valueStart < line.endIndex && line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = String(decoding: line[valueStart...], as: UTF8.self)
        switch field {
        case "event": type = value
        case "data": data.append(value)
        // An id containing NUL is ignored, as the specification says.
        case "id": if !value.utf8.contains(0) { id = value }
        default: break
        }
        return nil
    }
}
