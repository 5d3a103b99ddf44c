
extension AuthEvent {
    /// The session the event concerns, if it concerns one.
    public var session: SessionID? {
        switch self {
        case let .sessionStarted(e): e.session
        case let .refreshRotated(e): e.session
        case let .refreshReuseDetected(e): e.session
        case let .sessionEnded(e): e.session
        case let .sessionRevoked(e): e.session
        case let .suspiciousActivity(e): e.session
        default: nil
        }
    }

    /// A one-line, human-readable summary of the event's details. Strings that came from
    /// outside are quoted and escaped (``TextEscaping/quoted(_:)``), so the summary is one
    /// line and nothing in it can pass for another field.
    public var summary: String {
        let q = TextEscaping.quoted
        switch self {
        case let .sessionStarted(e):
            return "device=\(e.label) ip=\(e.ip) ua=\(e.userAgent)"
        case let .refreshRotated(e): return "generation=\(e.generation) ip=\(e.ip)"
        case let .refreshReuseDetected(e):
            return "classification=\(e.classification) presented=\(e.presentedGeneration) current=\(e.currentGeneration) ip=\(e.ip)"
        case let .sessionEnded(e): return "logout" + (e.refuseUntil.map { " refused-until=\($0)" } ?? "")
        case let .sessionRevoked(e): return "reason=\(e.reason) by=\(q(e.actor))" + (e.refuseUntil.map { " refused-until=\($0)" } ?? "")
        case let .userSessionsRevoked(e):
            return "reason=\(e.reason) by=\(q(e.actor))" + (e.except.map { " except=\($0)" } ?? "")
                + (e.sessions.map { " sessions=\($0.count)" } ?? "")
        case let .userBanned(e): return "by=\(q(e.actor)) reason=\(q(e.reason))"
        case let .userUnbanned(e): return "by=\(q(e.actor))"
        case let .signingKeyAdded(e): return "kid=\(q(e.kid)) alg=\(q(e.algorithm))"
        case let .signingKeyActivated(e), let .signingKeyRetired(e): return "kid=\(q(e.kid))"
        case let .suspiciousActivity(e):
            switch e.finding {
            case let .text(detail): return "rule=\(e.rule) detail=\(q(detail))"
            case let .newDevice(label, userAgent): return "rule=\(e.rule) device=\(label) ua=\(userAgent)"
            case let .networkChange(ip, previous): return "rule=\(e.rule) ip=\(ip) previous=\(previous)"
            case let .tooManySessions(active, threshold): return "rule=\(e.rule) active=\(active) threshold=\(threshold)"
            case let .refreshReuse(kind, presented, current, ip):
                return "rule=\(e.rule) classification=\(kind) presented=\(presented) current=\(current) ip=\(ip)"
            }
        case let .userForgotten(e): return "by=\(q(e.actor))"
        case let .apiKeyCreated(e):
            return "key=\(q(e.keyID)) scopes=\(q(e.scopes.joined(separator: " "))) label=\(q(e.label))"
        case let .apiKeyRevoked(e): return "key=\(q(e.keyID))"
        }
    }
}

extension LoggedEvent {
    /// `#position  time  type  user  session  details`, for terminals and audit reports:
    /// always exactly one line, whatever the event's strings hold.
    public var textLine: String {
        var line = "#\(position)  \(timestamp)  \(event.type)"
        if let user { line += "  user=\(TextEscaping.quoted(user))" }
        if let s = event.session { line += "  session=\(s)" }
        return line + "  " + event.summary
    }
}
