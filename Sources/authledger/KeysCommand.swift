import ArgumentParser
import LedgerEngine

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage the keys in the data directory's keys/.",
        subcommands: [RotateSigningCommand.self, RotateMasterCommand.self])
}

struct RotateSigningCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate-signing",
        abstract: "Rotate the key that signs access tokens.",
        discussion: """
            Generates a key and publishes it in the JWKS at once; it starts signing             key-publish-ahead-seconds later (120 by default), when the engine next runs past             that time, so that verifiers caching the JWKS know it before they meet its             tokens. The old key stays published until its last token expires. With             --immediately the new key signs at once (for a key that may have leaked).             Needs the writer lock: stop the server first (while it runs, use             POST /v1/keys/rotate).
            """)

    @OptionGroup var data: DataDirectoryOption
    @Flag(help: "Sign with the new key at once instead of after the publish-ahead time.") var immediately = false

    func run() async throws {
        let engine = try await data.openEngine()
        let rotation: KeyRotation
        do {
            rotation = try await engine.rotateSigningKey(immediately: immediately)
        } catch {
            try? await engine.shutdown()
            throw error
        }
        try await engine.shutdown()
        emit(rotation.isActive
             ? "signing key \(rotation.kid) signs from now on"
             : "signing key \(rotation.kid) published; it signs from \(rotation.activatesAt) (the next server start activates it if none runs then)")
    }
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
