import LedgerCodec
import LedgerCrypto

/// Proofs in the forms auditors keep (`docs/PROOFS.md`), against a signed checkpoint.
extension EventLog {
    /// The C2SP `tlog-proof` bundle of the event at `position` against the signed checkpoint
    /// `note` (whose tree is `checkpoint`): the record, its inclusion proof, the checkpoint.
    public func proofBundle(position: UInt64, checkpoint: Checkpoint, note: String) throws(LogError) -> ProofBundle {
        guard position >= 1, position <= checkpoint.size else {
            throw LogError(.invalidEvent("position \(position) is not in the checkpoint of \(checkpoint.size) events; ask again once a checkpoint covers it"))
        }
        let proof = try inclusionProof(position: position, size: checkpoint.size)
        guard let record = try translatingErrors({ try record(at: position) }) else { throw LogError(.invalidEvent("the log has no event at position \(position)")) }
        return ProofBundle(record: record.storedBytes, index: position - 1, proof: proof, checkpointNote: note)
    }

    /// The proof that the signed checkpoint `note` (of tree `checkpoint`) extends the tree of
    /// the first `oldSize` events, with the checkpoint, as ``ConsistencyBundle`` text carries it.
    public func consistencyBundle(from oldSize: UInt64, checkpoint: Checkpoint, note: String) throws(LogError) -> ConsistencyBundle {
        let proof = oldSize == checkpoint.size ? [] : try consistencyProof(from: oldSize, to: checkpoint.size)
        return ConsistencyBundle(oldSize: oldSize, proof: proof, checkpointNote: note)
    }
}
