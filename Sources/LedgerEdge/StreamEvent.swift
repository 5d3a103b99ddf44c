import LedgerCodec
import LedgerTokens

/// Reads the JSON form of a streamed event (`data:` of `GET /v1/events`).
enum StreamEvent {
    /// The sessions an event ends, each with its refuse-until time: what
    /// ``RevocationState/apply(_:position:chainHash:)`` inserts for the same event in its
    /// binary form. The JSON form names them itself (`session` and `refuse_until`, or
    /// `sessions`); every other event ends none.
    static func endedSessions(in data: String) throws(EdgeError) -> [(SessionID, Timestamp)] {
        guard let o = (try? JSONParser.parse(data))?.objectValue, let type = o["type"]?.stringValue else {
            throw EdgeError(.server, "a streamed event is not a JSON object with a type", remedy: "check that the URL is an AuthLedger server")
        }
        func entry(_ o: [String: JSONValue]) throws(EdgeError) -> (SessionID, Timestamp)? {
            guard let text = o["refuse_until"]?.stringValue else { return nil }
            guard let s = o["session"]?.stringValue.flatMap(SessionID.init(hex:)), let t = Timestamp(text) else {
                throw EdgeError(.server, "a \(type) event with a malformed session or refuse_until", remedy: "check that the URL is an AuthLedger server")
            }
            return (s, t)
        }
        switch type {
        case "session.ended", "session.revoked":
            return try entry(o).map { [$0] } ?? []
        case "user.sessions_revoked":
            var ended: [(SessionID, Timestamp)] = []
            for item in o["sessions"]?.arrayValue ?? [] {
                if let object = item.objectValue, let e = try entry(object) { ended.append(e) }
            }
            return ended
        default:
            return []
        }
    }
}
