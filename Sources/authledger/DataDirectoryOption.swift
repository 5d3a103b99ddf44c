import ArgumentParser
import Glibc

/// `--data-dir`, shared by every subcommand.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp(
        "The data directory holding the log (and later keys and snapshots).",
        discussion: "Defaults to $AUTHLEDGER_DATA_DIR, or ./authledger-data."))
    var dataDir: String?

    var path: String {
        if let dataDir { return dataDir }
        if let env = getenv("AUTHLEDGER_DATA_DIR") { return String(cString: env) }
        return "authledger-data"
    }
}
