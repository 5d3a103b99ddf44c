import ArgumentParser
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTokens

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Print a user's whole auth history, oldest first.",
        discussion: """
            Reads the per-user index, so it does not scan the log. Text shows time, event, \
            session and details (device, IP, reason); --format json prints one JSON object \
            per line with every field. Works while the server runs.

            With --proofs, each event is a JSON line with a "proof" member: its C2SP \
            tlog-proof bundle against the latest signed checkpoint, which `authledger proof \
            verify` and tools/verify_proof.py check offline (docs/PROOFS.md).

            Example: authledger audit alice --since 2026-11-01T00:00:00Z --format json
            """
    )

    @OptionGroup var data: DataDirectoryOption
    @Argument(help: "The user id.") var user: String
    @Option(help: "Output format.") var format: OutputFormat = .text
    @Option(help: "Only events at or after this time (RFC 3339 or Unix seconds).") var since: String?
    @Option(help: "Only events at or before this time (RFC 3339 or Unix seconds).") var until: String?
    @Flag(help: "JSON lines, each event with its proof bundle against the latest signed checkpoint.") var proofs = false

    func run() throws {
        let log = try data.openLogReadOnly()
        let from = try since.map(parseTime), to = try until.map(parseTime)
        var count = 0
        let personal = personalData(data.path, log)
        let checkpoint = proofs ? try data.requireCheckpoint() : nil
        var unproved = 0
        try log.scan(user: user) { view in
            let t = view.timestamp
            if let from, t < from { return true }
            // Skip rather than stop: timestamps follow the writer's clock, which can step back.
            if let to, t > to { return true }
            if view.isUnknownAnnotation { return true }
            var event = try LoggedEvent(view: view)
            if let personal { event = personal.reveal(event) }
            if let checkpoint {
                var json = event.json.objectValue!
                if view.position <= checkpoint.checkpoint.size {
                    json["proof"] = .string(try log.proofBundle(position: view.position, checkpoint: checkpoint.checkpoint, note: checkpoint.note).text)
                } else {
                    unproved += 1
                }
                emit(JSONValue.object(json).serialized(alsoEscaping: TextEscaping.isEscaped))
            } else {
                emit(format == .json ? event.jsonLine : event.textLine)
            }
            count += 1
            return true
        }
        if unproved > 0, let checkpoint {
            warn("\(unproved) events came after the latest checkpoint (\(checkpoint.checkpoint.size) events) and have no proof yet; ask again after the next checkpoint")
        }
        if count == 0 && format == .text && !proofs { emit("no events for user \(TextEscaping.quoted(user))") }
    }
}
