import ArgumentParser
import LedgerCodec
import LedgerEngine
import LedgerLog
import LedgerServer

struct APIKeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apikey",
        abstract: "Create, list and revoke the API keys that authorize calls to `authledger serve`.",
        discussion: """
            Keys are recorded in the log as events (apikey.created holds the SHA-256 of the \
            secret, never the secret). Create and revoke append to the log, so they need the \
            writer lock: run them while the server is stopped, or use the server's \
            /v1/apikeys routes with an admin key. Scopes: sessions:write, sessions:read, \
            events:read, admin (admin includes the others).
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it (the only time it is shown) on standard output.")
        @OptionGroup var data: DataDirectoryOption
        @Option(name: .customLong("scope"), help: "A scope (repeatable, or comma-separated).") var scopes: [String] = []
        @Option(help: "What the key is for, e.g. \"billing backend\".") var label: String

        func run() async throws {
            let scopes: Set<Scope>
            do { scopes = try APIKeyStore.parseScopes(self.scopes.flatMap { $0.split(separator: ",").map(String.init) }) } catch {
                throw CLIError(error.detail)
            }
            let log = try data.openLogForWriting()
            let (secret, event) = APIKeyStore.creation(scopes: scopes, label: label)
            _ = try await log.append(event.pending(user: nil))
            warn("created API key \(secret.keyID) with scopes \(scopes.sorted().map(\.rawValue).joined(separator: ",")); it is printed once, below")
            print(secret.text)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys: id, scopes, label, created, revoked.")
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let store = try APIKeyStore.replay(data.openLogReadOnly())
            for key in store.all {
                let scopes = key.scopes.sorted().map(\.rawValue).joined(separator: ",")
                emit("\(key.keyID)  \(scopes)  \(TextEscaping.quoted(key.label))  created=\(key.createdAt)" + (key.revokedAt.map { "  revoked=\($0)" } ?? ""))
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key: it authorizes nothing from then on.")
        @OptionGroup var data: DataDirectoryOption
        @Argument(help: "The key id (the part after alk_, before the second _).") var keyID: String

        func run() async throws {
            let log = try data.openLogForWriting()
            guard let key = try APIKeyStore.replay(log).key(keyID) else { throw CLIError("no API key \(TextEscaping.quoted(keyID)); see `authledger apikey list`") }
            if key.revokedAt != nil { warn("key \(keyID) was already revoked"); return }
            _ = try await log.append(AuthEvent.apiKeyRevoked(APIKeyRevoked(keyID: keyID)).pending(user: nil))
            emit("revoked API key \(keyID)")
        }
    }
}

extension DataDirectoryOption {
    /// Opens the log read-write without starting the engine (no keys, no replay); refused
    /// while a server holds the writer lock, with what to do instead.
    func openLogForWriting() throws -> EventLog {
        do { return try EventLog(directory: path) } catch {
            if case .locked = error.kind {
                throw CLIError("\(error); stop the server first, or manage keys through its /v1/apikeys routes with an admin key")
            }
            throw CLIError("\(error)")
        }
    }
}
