import ArgumentParser
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTokens

struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "List a user's active sessions now, or at any past moment.",
        discussion: """
            With --at, replays the log up to that moment (point-in-time replay) and lists the \
            sessions that were active then: which devices a user was logged in on when something \
            happened. The replay is the log's prefix up to the first event stamped after the \
            moment, so the state shown is one the engine really was in.

            Example: authledger sessions alice --at 2026-11-20T09:30:00Z
            """
    )

    @OptionGroup var data: DataDirectoryOption
    @Argument(help: "The user id.") var user: String
    @Option(help: "The moment to look at (RFC 3339 or Unix seconds); default now.") var at: String?
    @Option(help: "Output format.") var format: OutputFormat = .text

    func run() throws {
        let log = try data.openLogReadOnly()
        let moment = try at.map(parseTime) ?? SystemClock().now()
        // Start from the newest snapshot taken before the moment, if one checks out.
        var projection = SessionProjection()
        let store = SnapshotStore.forReading(dataDirectory: data.path)
        if let e = store.keyError, !store.list().isEmpty { warn("not using snapshots: \(e); replaying the log instead") }
        for info in store.list() where store.keyError == nil {
            let snap: SessionProjection
            do { snap = try store.load(info, matching: log) } catch {
                warn("skipping snapshot \(info.path): \(error)")
                continue
            }
            guard snap.time <= moment else { continue }
            projection = snap
            break
        }
        try projection.advance(in: log, until: moment)
        let sessions = projection.activeSessions(user: user, at: moment,
                                                 personalData: try PersonalDataReader.open(dataDirectory: data.path, log: log))
        if format == .json {
            for s in sessions {
                emit(JSONValue.object([
                    "session": .string(s.id.description),
                    "device": s.isErased ? ["erased": true] : .string(s.deviceLabel),
                    "user_agent": s.isErased ? ["erased": true] : .string(s.userAgent),
                    "ip": s.isErased ? ["erased": true] : .string(s.ip.description), "created": .string(s.createdAt.description),
                    "last_seen": .string(s.lastSeenAt.description), "expires": .string(s.expiresAt.description),
                ]).serialized(alsoEscaping: TextEscaping.isEscaped))
            }
            return
        }
        emit("\(sessions.count) active session\(sessions.count == 1 ? "" : "s") for \(TextEscaping.quoted(user)) at \(moment)\(projection.isBanned(user: user) ? " (banned)" : "")")
        for s in sessions {
            if s.isErased {
                emit("  \(s.id)  (erased)  ip=(erased)  created=\(s.createdAt)  last-seen=\(s.lastSeenAt)  ua=(erased)")
            } else {
                emit("  \(s.id)  \(TextEscaping.quoted(s.deviceLabel))  ip=\(s.ip)  created=\(s.createdAt)  last-seen=\(s.lastSeenAt)  ua=\(TextEscaping.quoted(s.userAgent))")
            }
        }
    }
}
