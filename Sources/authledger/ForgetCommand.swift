import ArgumentParser
import LedgerCodec
import LedgerEngine

struct ForgetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forget",
        abstract: "Forget a person: erase their personal data from the log without breaking it.",
        discussion: """
            Ends every session of USER, appends user.forgotten and deletes the user's data \
            key in the same transaction. Their device labels, user agents and addresses then \
            read as (erased) everywhere; every record stays, so `authledger verify` still \
            passes. The user id is retired: it can never log in again. Needs the writer lock: \
            stop the server first (while it runs, use POST /v1/users/{user}/forget). \
            Then run `authledger keys rotate-master`, so that backups of the key database no \
            longer unwrap the deleted key.
            """)

    @OptionGroup var data: DataDirectoryOption
    @Argument(help: "The user id to forget.") var user: String
    @Option(help: "Who asks for the erasure (recorded in the event).") var actor = "admin:cli"

    func run() async throws {
        let engine = try await data.openEngine()
        do {
            try await engine.forget(user: user, actor: actor)
        } catch {
            try? await engine.shutdown()
            throw error
        }
        try await engine.shutdown()
        emit("forgot \(TextEscaping.quoted(user)): sessions ended, key deleted; run `authledger keys rotate-master` next")
    }
}
