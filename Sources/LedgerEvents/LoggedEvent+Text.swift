import LedgerLog

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

    /// A one-line, human-readable summary of the event's details.
    public var summary: String {
        switch self {
        case let .sessionStarted(e):
            return "device=\"\(e.device.label)\" ip=\(e.device.ip) ua=\"\(e.device.userAgent)\""
        case let .refreshRotated(e): return "generation=\(e.generation) ip=\(e.ip)"
        case let .refreshReuseDetected(e):
            return "classification=\(e.classification) presented=\(e.presentedGeneration) current=\(e.currentGeneration) ip=\(e.ip)"
        case .sessionEnded: return "logout"
        case let .sessionRevoked(e): return "reason=\(e.reason) by=\(e.actor)"
        case let .userSessionsRevoked(e):
            return "reason=\(e.reason) by=\(e.actor)" + (e.except.map { " except=\($0)" } ?? "")
        case let .userBanned(e): return "by=\(e.actor) reason=\"\(e.reason)\""
        case let .userUnbanned(e): return "by=\(e.actor)"
        case let .signingKeyAdded(e): return "kid=\(e.kid) alg=\(e.algorithm)"
        case let .signingKeyActivated(e), let .signingKeyRetired(e): return "kid=\(e.kid)"
        case let .suspiciousActivity(e): return "rule=\(e.rule) \(e.detail)"
        }
    }
}

extension LoggedEvent {
    /// `#position  time  type  user  session  details`, for terminals and audit reports.
    public var textLine: String {
        var line = "#\(position)  \(timestamp)  \(event.type)"
        if let user { line += "  user=\(user)" }
        if let s = event.session { line += "  session=\(s)" }
        return line + "  " + event.summary
    }
}
