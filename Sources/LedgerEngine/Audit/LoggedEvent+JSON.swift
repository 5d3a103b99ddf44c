import LedgerCodec
import LedgerLog
import LedgerTokens

extension LoggedEvent {
    /// ``json`` serialised for a terminal or a line-oriented file: one line, with the
    /// characters the text form escapes (``TextEscaping/isEscaped(_:)``) as `\u` escapes too.
    public var jsonLine: String { json.serialized(alsoEscaping: TextEscaping.isEscaped) }

    /// The event as one JSON object: position, time, type, user, session and every field,
    /// for `authledger audit --format json`, tails and subscribers.
    public var json: JSONValue {
        var o: [String: JSONValue] = [
            "position": .integer(Int64(bitPattern: position)),
            "time": .string(timestamp.description),
            "type": .string(event.type.description),
        ]
        if let user { o["user"] = .string(user) }
        if let s = event.session { o["session"] = .string(s.description) }
        switch event {
        case let .sessionStarted(e):
            o["device"] = ["label": e.label.json, "user_agent": e.userAgent.json, "ip": e.ip.json]
            o["lifetimes"] = ["access_token": .integer(Int64(e.lifetimes.accessToken)), "refresh_token": .integer(Int64(e.lifetimes.refreshToken)),
                              "idle_timeout": .integer(Int64(e.lifetimes.idleTimeout)), "absolute": .integer(Int64(e.lifetimes.absolute))]
        case let .refreshRotated(e):
            o["generation"] = .integer(Int64(e.generation)); o["ip"] = e.ip.json
        case let .refreshReuseDetected(e):
            o["classification"] = .string(e.classification.description)
            o["presented_generation"] = .integer(Int64(e.presentedGeneration)); o["current_generation"] = .integer(Int64(e.currentGeneration))
            o["ip"] = e.ip.json
        case let .sessionEnded(e):
            if let t = e.refuseUntil { o["refuse_until"] = .string(t.description) }
        case let .sessionRevoked(e):
            o["reason"] = .string(e.reason.description); o["actor"] = .string(e.actor)
            if let t = e.refuseUntil { o["refuse_until"] = .string(t.description) }
        case let .userSessionsRevoked(e):
            o["reason"] = .string(e.reason.description); o["actor"] = .string(e.actor)
            if let except = e.except { o["except"] = .string(except.description) }
            if let sessions = e.sessions {
                o["sessions"] = .array(sessions.map { ["session": .string($0.session.description), "refuse_until": .string($0.refuseUntil.description)] })
            }
        case let .userBanned(e):
            o["actor"] = .string(e.actor); o["reason"] = .string(e.reason)
        case let .userUnbanned(e):
            o["actor"] = .string(e.actor)
        case let .signingKeyAdded(e):
            o["kid"] = .string(e.kid); o["algorithm"] = .string(e.algorithm)
            o["jwk"] = (try? JSONParser.parse(e.publicJWK)) ?? .string(e.publicJWK)
        case let .signingKeyActivated(e), let .signingKeyRetired(e):
            o["kid"] = .string(e.kid)
        case let .suspiciousActivity(e):
            o["rule"] = .string(e.rule.description)
            switch e.finding {
            case let .text(detail): o["detail"] = .string(detail)
            case let .newDevice(label, userAgent): o["label"] = label.json; o["user_agent"] = userAgent.json
            case let .networkChange(ip, previous): o["ip"] = ip.json; o["previous_ip"] = previous.json
            case let .tooManySessions(active, threshold): o["active"] = .integer(Int64(active)); o["threshold"] = .integer(Int64(threshold))
            case let .refreshReuse(kind, presented, current, ip):
                o["classification"] = .string(kind.description); o["presented_generation"] = .integer(Int64(presented))
                o["current_generation"] = .integer(Int64(current)); o["ip"] = ip.json
            }
        case let .userForgotten(e):
            o["actor"] = .string(e.actor)
        case let .apiKeyCreated(e):
            o["key_id"] = .string(e.keyID); o["scopes"] = .array(e.scopes.map { .string($0) }); o["label"] = .string(e.label)
            o["secret_sha256"] = .string(e.secretHash.description)
        case let .apiKeyRevoked(e):
            o["key_id"] = .string(e.keyID)
        }
        return .object(o)
    }
}

/// An event in its JSON form (``LoggedEvent/json``) through `Encodable`, for documents that
/// carry events (an HTTP response, a subscriber's message).
public struct LoggedEventJSON: Encodable, Sendable {
    public let event: LoggedEvent
    public init(_ event: LoggedEvent) { self.event = event }
    public func encode(to encoder: any Encoder) throws { try event.json.encode(to: encoder) }
}

extension PersonalText {
    /// The text, or `{"erased": true}` / `{"encrypted": true}`: an object, so that no
    /// string a user chose can pass for either.
    var json: JSONValue {
        switch self {
        case let .clear(s): .string(s)
        case .sealed: ["encrypted": .bool(true)]
        case .erased: ["erased": .bool(true)]
        }
    }
}

extension PersonalAddress {
    var json: JSONValue {
        switch self {
        case let .clear(a): .string(a.description)
        case let .sealed(a): a == .unknown ? .string(a.description) : ["encrypted": .bool(true)]
        case .erased: ["erased": .bool(true)]
        }
    }
}
