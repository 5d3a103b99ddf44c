import LedgerCodec
import LedgerCrypto
import LedgerLog
import Synchronization

/// Signs checkpoints of the log with its ``LogKey``, one at a time, and never one that does
/// not extend the last: before signing, a consistency proof from the stored checkpoint to
/// the log's tree now is produced and checked, as an auditor would check it.
public final class Checkpointer: Sendable {
    public let key: LogKey
    let log: EventLog
    let dataDirectory: String
    // Held while signing: two signers would race to replace the stored checkpoint.
    private let latestSigned: Mutex<PublishedCheckpoint?>

    init(dataDirectory: String, log: EventLog, key: LogKey) throws(EngineError) {
        self.key = key
        self.log = log
        self.dataDirectory = dataDirectory
        latestSigned = Mutex(try CheckpointStore.latest(dataDirectory: dataDirectory))
    }

    /// The latest signed checkpoint (nil before the first).
    public var latest: PublishedCheckpoint? { latestSigned.withLock { $0 } }

    /// Signs a checkpoint of the log as it is now, unless the latest already covers it.
    /// Throws ``EngineError/Kind/checkpointRefused`` when the log does not extend the latest
    /// checkpoint (shorter, or a different tree), signing nothing.
    @discardableResult
    public func sign() throws(EngineError) -> PublishedCheckpoint {
        try latestSigned.withLock { latest throws(EngineError) -> PublishedCheckpoint in
            let size: UInt64, root: SHA256Digest, proof: [SHA256Digest]
            do {
                size = try log.head().position
                root = try log.merkleRoot(size: size)
                if let last = latest?.checkpoint, last.size < size {
                    proof = try log.consistencyProof(from: last.size, to: size)
                } else {
                    proof = []
                }
            } catch {
                throw EngineError(.storage, "no checkpoint signed: the log's tree cannot be read: \(error)")
            }
            if let last = latest {
                do { try LogVerifier.verify(from: last.checkpoint, to: Checkpoint(origin: key.origin, size: size, root: root), proof: proof) } catch {
                    throw EngineError(.checkpointRefused, "no checkpoint signed: \(error). The last checkpoint (\(CheckpointStore.path(dataDirectory))) was signed at size \(last.checkpoint.size); if the data directory was restored from an older backup, restore a newer one")
                }
                if last.checkpoint.size == size && last.checkpoint.origin == key.origin { return last }
            }
            let signed: SignedCheckpoint
            do { signed = try key.sign(size: size, root: root) } catch {
                throw EngineError(.storage, "the checkpoint could not be signed: \(error)")
            }
            let published = PublishedCheckpoint(checkpoint: signed.checkpoint, note: signed.note)
            try CheckpointStore.save(published, dataDirectory: dataDirectory)
            latest = published
            return published
        }
    }

    /// A checkpoint that covers `position`: the latest, or a new one when the latest is older.
    public func covering(_ position: UInt64) throws(EngineError) -> PublishedCheckpoint {
        if let last = latest, last.checkpoint.size >= position { return last }
        return try sign()
    }
}
