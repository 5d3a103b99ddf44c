import ArgumentParser
import Logging

@main
struct AuthLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authledger",
        abstract: "AuthLedger: event-sourced authentication sessions.",
        discussion: """
            Every login, refresh-token rotation, logout, revocation, ban and key change is an \
            event in an append-only, hash-chained log (LMDB) in the data directory. These \
            commands read that log: audit a user's history, see which sessions were active at \
            any moment, verify the chain, rebuild and snapshot the projections, follow the log \
            live, and check tokens. Read-only commands work while a server runs on the same \
            directory.

            Start with `authledger demo`, then try `authledger audit alice`.
            The data directory is --data-dir, else $AUTHLEDGER_DATA_DIR, else ./authledger-data.
            """,
        subcommands: [
            DemoCommand.self, AuditCommand.self, SessionsCommand.self, RebuildCommand.self, SnapshotCommand.self,
            VerifyCommand.self, TailCommand.self, StatsCommand.self, TokenCommand.self, JWKSCommand.self, KeysCommand.self, ForgetCommand.self,
            ServeCommand.self, APIKeyCommand.self, CheckpointCommand.self, ProofCommand.self,
        ]
    )

    static func main() async {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
