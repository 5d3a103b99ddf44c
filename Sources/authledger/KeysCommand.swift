import ArgumentParser
import LedgerEngine

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the keys in the data directory's keys/.",
        subcommands: [RotateMasterCommand.self])
}

struct RotateMasterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-master",
        abstract: "Rotate the master key that wraps users' data keys.",
        discussion: """
            Writes keys/master-<n+1>.key, rewraps every user's data key under it in one \
            transaction, then deletes keys/master-<n>.key. Run it after forgetting users: \
            their erased keys may survive in backups or freed database pages, wrapped under \
            the old master, and cannot be unwrapped once it is gone. Needs the writer lock: \
            stop the server first. Back up the new master key.
            """)

    @OptionGroup var data: DataDirectoryOption

    func run() throws {
        let rotation = try rotateMasterKey(dataDirectory: data.path)
        emit("master key \(rotation.master) in use (keys/master-\(rotation.master).key); \(rotation.rewrappedUserKeys) user keys rewrapped; the previous master key was deleted")
    }
}
