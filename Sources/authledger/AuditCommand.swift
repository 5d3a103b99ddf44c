import ArgumentParser
import LedgerEngine
import LedgerCodec
import LedgerLog

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print a user's whole auth history, oldest first.",
        discussion: """
            Reads the per-user index, so it does not scan the log. Text shows time, event, \
            session and details (device, IP, reason); --format json prints one JSON object \
            per line with every field. Works while the server runs.

            Example: authledger audit alice --since 2026-11-01T00:00:00Z --format json
            """
    )

    @OptionGroup var data: DataDirectoryOption
    @Argument(help: "The user id.") var user: String
    @Option(help: "Output format.") var format: OutputFormat = .text
    @Option(help: "Only events at or after this time (RFC 3339 or Unix seconds).") var since: String?
    @Option(help: "Only events at or before this time (RFC 3339 or Unix seconds).") var until: String?

    func run() throws {
        let log = try data.openLogReadOnly()
        let from = try since.map(parseTime), to = try until.map(parseTime)
        var count = 0
        let personal = personalData(data.path, log)
        try log.scan(user: user) { view in
            let t = view.timestamp
            if let from, t < from { return true }
            // Skip rather than stop: timestamps follow the writer's clock, which can step back.
            if let to, t > to { return true }
            if view.isUnknownAnnotation { return true }
            var event = try LoggedEvent(view: view)
            if let personal { event = personal.reveal(event) }
            emit(format == .json ? event.jsonLine : event.textLine)
            count += 1
            return true
        }
        if count == 0 && format == .text { emit("no events for user \(TextEscaping.quoted(user))") }
    }
}
