import ArgumentParser

@main
struct AuthLedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "authledger",
        abstract: "AuthLedger: event-sourced authentication sessions.",
        subcommands: [DemoCommand.self]
    )
}
