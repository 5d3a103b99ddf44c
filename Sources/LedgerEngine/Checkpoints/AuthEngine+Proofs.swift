import LedgerCodec
import LedgerLog

/// Proofs over the log for auditors (`docs/PROOFS.md`).
extension AuthEngine {
    /// The C2SP `tlog-proof` bundle of the event at `position`: the record, its inclusion
    /// proof, and a signed checkpoint covering it (the latest, or a new one if the latest
    /// is older than the event).
    public func proofBundle(position: UInt64) throws(EngineError) -> ProofBundle {
        let head = statistics.position
        guard position >= 1, position <= head else {
            throw EngineError(.invalidRequest, "the log has no event at position \(position); it holds \(head)")
        }
        let signed = try checkpoints.covering(position)
        do { return try log.proofBundle(position: position, checkpoint: signed.checkpoint, note: signed.note) } catch {
            throw EngineError(.storage, "the proof could not be read from the log: \(error)")
        }
    }

    /// The proof that the latest signed checkpoint extends the tree of the first `oldSize`
    /// events, with that checkpoint.
    public func consistencyBundle(from oldSize: UInt64) throws(EngineError) -> ConsistencyBundle {
        let signed = try checkpoints.covering(max(oldSize, 1))
        guard oldSize >= 1, oldSize <= signed.checkpoint.size else {
            throw EngineError(.invalidRequest, "a consistency proof needs an older size from 1 to \(signed.checkpoint.size); got \(oldSize)")
        }
        do { return try log.consistencyBundle(from: oldSize, checkpoint: signed.checkpoint, note: signed.note) } catch {
            throw EngineError(.storage, "the proof could not be read from the log: \(error)")
        }
    }
}
