import CLMDB
import LedgerCodec
import LedgerCrypto

/// The log as an RFC 9162 Merkle tree: leaf `p − 1` is the record at position `p`
/// (`docs/LOG_FORMAT.md`). Roots and proofs for any size up to the head, read in one
/// transaction from the stored subtree roots and, for a partial block, the records.
extension EventLog {
    /// The tree head (root hash) of the first `size` records.
    public func merkleRoot(size: UInt64) throws(LogError) -> SHA256Digest {
        try merkleRead(size: size) { txn, hasher in try MerkleStore.subtree(0..<size, txn, merkleDB, logDB, hasher) }
    }

    /// The inclusion proof of the record at `position` in the tree of the first `size` records.
    public func inclusionProof(position: UInt64, size: UInt64) throws(LogError) -> [SHA256Digest] {
        guard position >= 1, position <= size else {
            throw LogError(.invalidEvent("position \(position) is not in a tree of \(size) records"))
        }
        return try merkleRead(size: size) { txn, hasher in
            try MerkleTree.inclusionProof(index: position - 1, size: size) { try MerkleStore.subtree($0, txn, merkleDB, logDB, hasher) }
        }
    }

    /// The consistency proof that the tree of `newSize` records extends that of `oldSize`.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws(LogError) -> [SHA256Digest] {
        guard oldSize >= 1, oldSize < newSize else {
            throw LogError(.invalidEvent("a consistency proof needs 1 ≤ old size < new size; got \(oldSize) and \(newSize)"))
        }
        return try merkleRead(size: newSize) { txn, hasher in
            try MerkleTree.consistencyProof(from: oldSize, to: newSize) { try MerkleStore.subtree($0, txn, merkleDB, logDB, hasher) }
        }
    }

    /// Bytes of the pages the stored tree occupies (0 when there is none): what the tree
    /// costs on disk, beside the records.
    public func merkleStorageBytes() throws(LogError) -> Int {
        guard let merkleDB else { return 0 }
        return try translatingErrors { try env.read { txn in try txn.pageBytes(merkleDB) } }
    }

    private func merkleRead<R>(size: UInt64, _ body: (LMDBTransaction, MerkleHasher) throws -> R) throws(LogError) -> R {
        let hasher = MerkleHasher()
        return try translatingErrors {
            try env.read { txn in
                let head = try LogWriter.lastRecord(txn, logDB).position
                guard size <= head else { throw LogError(.invalidEvent("the log holds \(head) records; there is no tree of \(size)")) }
                return try body(txn, hasher)
            }
        }
    }
}

extension EventLog {
    /// Deletes the stored tree, leaving the log as a version before the tree wrote it.
    /// For tests of the one-time build only.
    func dropMerkleTreeForTesting() throws {
        guard let merkleDB else { return }
        try translatingErrors { try env.write { txn in try check(mdb_drop(txn.txn, merkleDB, 1), "drop the Merkle tree") } }
    }
}

extension EventLog {
    /// How many leaves the stored tree covers (nil: no tree). For tests.
    func merkleCoveredForTesting() throws -> UInt64? {
        guard let merkleDB else { return nil }
        return try translatingErrors { try env.read { txn in try MerkleStore.covered(txn, merkleDB) } }
    }

    /// Whether the stored tree holds the node at `level` and `index`. For tests.
    func merkleNodeStoredForTesting(level: UInt64, index: UInt64) throws -> Bool {
        try translatingErrors { try env.read { txn in try MerkleStore.node(level: level, index: index, txn, merkleDB) != nil } }
    }

    /// Rolls the coverage mark back, as a build interrupted part way leaves it. For tests.
    func setMerkleCoveredForTesting(_ leaves: UInt64) throws {
        guard let merkleDB else { return }
        try translatingErrors { try env.write { txn in try MerkleStore.setCoveredForTesting(leaves, txn, merkleDB) } }
    }
}
