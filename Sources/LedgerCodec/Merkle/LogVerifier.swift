import LedgerCrypto

/// An event proved to be in the log: its record, at its position, in the signed tree.
public struct VerifiedEvent: Sendable {
    /// The record as stored, at the position the proof fixes.
    public let record: EventRecord
    /// The decoded event; nil for a type this version does not know (the proof still holds).
    public let event: LoggedEvent?
    /// The signed tree head the record was proved against.
    public let checkpoint: Checkpoint
}

/// What an auditor runs offline: checks proof bundles and consistency proofs against signed
/// checkpoints and the log's note verifier key, with hashes and Ed25519 alone (no log, no
/// server, no LMDB).
public enum LogVerifier {
    /// Checks a signed checkpoint (C2SP signed note) under `verifierKey`.
    public static func checkpoint(note: String, verifierKey: String) throws(ProofError) -> Checkpoint {
        do { return try SignedCheckpoint.verify(note: note, verifierKey: verifierKey) } catch let e as CheckpointError {
            throw ProofError(e.isSignatureFailure ? .badSignature : .malformed, "the checkpoint: \(e)")
        } catch {
            throw ProofError(.malformed, "the checkpoint or the verifier key: \(error)")
        }
    }

    /// Checks a `tlog-proof` bundle: its checkpoint is signed by the log's key, and its
    /// record is the leaf at its index of that tree. Returns the event it proves.
    public static func verify(bundle text: String, verifierKey: String) throws(ProofError) -> VerifiedEvent {
        let bundle = try ProofBundle(parsing: text)
        let head = try checkpoint(note: bundle.checkpointNote, verifierKey: verifierKey)
        do {
            try MerkleTree.verifyInclusion(leafHash: MerkleTree.leafHash(bundle.record), index: bundle.index, size: head.size,
                                           proof: bundle.proof, root: head.root)
        } catch {
            throw ProofError(.notIncluded, "the record is not at position \(bundle.position) of the log of \(head.size) events signed by \(head.origin): \(error)")
        }
        let record = EventRecord(position: bundle.position, storedBytes: bundle.record)
        return VerifiedEvent(record: record, event: try? LoggedEvent(record), checkpoint: head)
    }

    /// Checks that the checkpoint in `consistency` extends `oldNote`: both are signed by the
    /// log's key, the newer is not smaller, and the proof shows the older tree is a prefix of
    /// the newer (the log was only appended to). Returns (older, newer).
    public static func verify(consistency text: String, old oldNote: String, verifierKey: String) throws(ProofError) -> (Checkpoint, Checkpoint) {
        let bundle = try ConsistencyBundle(parsing: text)
        let old = try checkpoint(note: oldNote, verifierKey: verifierKey)
        let new = try checkpoint(note: bundle.checkpointNote, verifierKey: verifierKey)
        guard bundle.oldSize == old.size else {
            throw ProofError(.malformed, "the proof is from size \(bundle.oldSize), but the older checkpoint is of size \(old.size): ask for a proof from \(old.size)")
        }
        try verify(from: old, to: new, proof: bundle.proof)
        return (old, new)
    }

    /// Checks that the signed tree `new` extends `old` with `proof` (both already verified).
    public static func verify(from old: Checkpoint, to new: Checkpoint, proof: [SHA256Digest]) throws(ProofError) {
        guard new.size >= old.size else {
            throw ProofError(.rolledBack, "the newer checkpoint has \(new.size) events, fewer than the \(old.size) of the older: the log was rolled back")
        }
        guard old.size > 0 else { return }
        do {
            try MerkleTree.verifyConsistency(oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof)
        } catch {
            throw ProofError(.inconsistent, "the log of \(new.size) events does not extend the log of \(old.size) events: it was rewritten or forked (\(error))")
        }
    }
}
