import ArgumentParser
import LedgerLog

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk the whole hash chain and report the first broken position, if any.",
        discussion: "Exits 0 if the chain is intact, 1 if a record was altered, removed or reordered.")

    @OptionGroup var data: DataDirectoryOption

    func run() throws {
        let log = try data.openLogReadOnly()
        let progress = Progress(label: "verify", total: try log.head().position)
        let report = try log.verifyChain(progress: progress.update)
        progress.finish()
        if let broken = report.firstBreak {
            emit("BROKEN at position \(broken.position): \(broken.reason)")
            emit("\(report.checked) records verified before it")
            throw ExitCode(1)
        }
        emit("intact: \(report.checked) records, head \(report.head.position) \(report.head.chainHash.hex)")
    }
}

struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow the log live: every committed event, in order, from a position on.",
        discussion: """
            Catches up from --from (default: the next event to be written) and then waits for \
            new commits, forever; stop it with Ctrl-C. Works beside a running server.

            Example: authledger tail --from 1 --type session.revoked --type user.banned --format json
            """)

    @OptionGroup var data: DataDirectoryOption
    @Option(help: "The first position to print (default: only new events).") var from: UInt64?
    @Option(name: .customLong("type"), help: "Only events of this type (repeatable), e.g. session.revoked.") var types: [String] = []
    @Option(help: "Output format.") var format: OutputFormat = .text

    func run() async throws {
        let log = try data.openLogReadOnly()
        let wanted = try Set(types.map { name -> EventType in
            guard let t = EventType(name: name) else {
                throw ValidationError("unknown event type \(TextEscaping.quoted(name)); known: \(EventType.allCases.map(\.description).joined(separator: ", "))")
            }
            return t
        })
        let start = try from ?? (log.head().position + 1)
        let personal = personalData(data.path, log)
        for try await record in log.tail(from: start) {
            if EventType.isUnknownAnnotation(record.type) { continue }
            var event = try LoggedEvent(record)
            if let personal { event = personal.reveal(event) }
            if !wanted.isEmpty && !wanted.contains(event.event.type) { continue }
            emit(format == .json ? event.jsonLine : event.textLine)
        }
    }
}

import LedgerEngine
import LedgerCodec
