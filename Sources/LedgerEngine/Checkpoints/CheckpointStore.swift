import LedgerCodec

/// A signed checkpoint as published: the tree head and the whole signed note.
public struct PublishedCheckpoint: Sendable, Equatable {
    public let checkpoint: Checkpoint
    /// The C2SP signed note, verbatim.
    public let note: String

    public init(checkpoint: Checkpoint, note: String) {
        self.checkpoint = checkpoint
        self.note = note
    }

    /// Reads the tree head of a signed note without checking its signature (for the log's
    /// own stored checkpoint; auditors use ``LogVerifier/checkpoint(note:verifierKey:)``).
    init(note: String) throws(CheckpointError) {
        guard let (text, _) = note.splitAtBlankLine() else { throw CheckpointError("a signed note has a blank line before its signatures") }
        self.init(checkpoint: try Checkpoint(parsing: text + "\n"), note: note)
    }
}

/// Where the latest signed checkpoint is kept, so it survives a restart and later ones can
/// be checked against it: `DATA/checkpoints/latest.note`, replaced atomically.
public enum CheckpointStore {
    static func directory(_ dataDirectory: String) -> String { dataDirectory + "/checkpoints" }
    static func path(_ dataDirectory: String) -> String { directory(dataDirectory) + "/latest.note" }

    /// The latest checkpoint the log signed, or nil if it has signed none.
    public static func latest(dataDirectory: String) throws(EngineError) -> PublishedCheckpoint? {
        let path = path(dataDirectory)
        let bytes: [UInt8]?
        do {
            try SecretFiles.requireSafeDirectory(directory(dataDirectory))
            bytes = try SecretFiles.readIfPresent(path)
        } catch let e as EngineError { throw e } catch {
            throw EngineError(.storage, "the latest checkpoint cannot be read: \(error)")
        }
        guard let bytes else { return nil }
        do { return try PublishedCheckpoint(note: String(decoding: bytes, as: UTF8.self)) } catch {
            throw EngineError(.storage, "\(path) is not a signed checkpoint (\(error)); restore it from a backup, or move it away to start a new sequence of checkpoints")
        }
    }

    static func save(_ checkpoint: PublishedCheckpoint, dataDirectory: String) throws(EngineError) {
        do {
            try SecretFiles.ensureDirectory(directory(dataDirectory))
            try SecretFiles.requireSafeDirectory(directory(dataDirectory))
            try SecretFiles.write(Array(checkpoint.note.utf8), to: path(dataDirectory))
        } catch let e as EngineError { throw e } catch {
            throw EngineError(.storage, "the checkpoint could not be saved: \(error)")
        }
    }
}
