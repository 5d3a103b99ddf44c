import ArgumentParser
import LedgerCodec
import LedgerEngine

struct CheckpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint",
        abstract: "Print the log's latest signed checkpoint, or its verifier key.",
        discussion: """
            A checkpoint is the root of the log's Merkle tree at a size, signed with the log's \
            own Ed25519 key (keys/log.pem) as a C2SP signed note. The server signs one every \
            checkpoint-seconds and at shutdown; the latest is kept in checkpoints/latest.note. \
            Auditors keep checkpoints and check proofs against them with the verifier key \
            (docs/PROOFS.md). Works beside a running server, except --sign.

            Example: authledger checkpoint --verifier-key > log.vkey; authledger checkpoint > monday.checkpoint
            """)

    @OptionGroup var data: DataDirectoryOption
    @Flag(help: "Print the note verifier key (origin+keyid+base64 key) instead of the checkpoint.") var verifierKey = false
    @Flag(help: "Sign a checkpoint of the log as it is now first (takes the writer lock: stop the server).") var sign = false
    @Option(help: "The log origin, if not the one in the latest checkpoint (default authledger.local/log).") var origin: String?

    func run() async throws {
        if sign {
            var configuration = EngineConfiguration()
            configuration.checkpointInterval = nil
            if let origin = try origin ?? data.latestCheckpoint()?.checkpoint.origin { configuration.logOrigin = origin }
            let engine = try await data.openEngine(configuration)
            do { try engine.checkpoints.sign() } catch {
                try? await engine.shutdown()
                throw CLIError("\(error)")
            }
            try await engine.shutdown()
        }
        if verifierKey {
            emit(try data.logKey(origin: origin).verifierKey)
            return
        }
        guard let latest = try data.latestCheckpoint() else { throw CLIError(DataDirectoryOption.noCheckpoint) }
        print(latest.note, terminator: "")
    }
}

extension DataDirectoryOption {
    static let noCheckpoint = "the log has no signed checkpoint yet: the server signs one every checkpoint-seconds and at shutdown; with the server stopped, `authledger checkpoint --sign` signs one"

    /// The latest signed checkpoint of the data directory, if any.
    func latestCheckpoint() throws -> PublishedCheckpoint? {
        _ = try openLogReadOnly()  // the same messages for a missing directory
        do { return try CheckpointStore.latest(dataDirectory: path) } catch { throw CLIError("\(error)") }
    }

    /// The log key (read, never created), named by `origin` or the latest checkpoint's origin.
    func logKey(origin: String?) throws -> LogKey {
        let name = try origin ?? latestCheckpoint()?.checkpoint.origin ?? EngineConfiguration().logOrigin
        do { return try LogKey.open(dataDirectory: path, origin: name, create: false) } catch { throw CLIError("\(error)") }
    }

    /// The latest checkpoint, or an error saying how to get one.
    func requireCheckpoint() throws -> PublishedCheckpoint {
        guard let latest = try latestCheckpoint() else { throw CLIError(Self.noCheckpoint) }
        return latest
    }
}
