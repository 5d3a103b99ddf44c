import CLMDB
import LedgerCodec
import LedgerCrypto

/// The `merkle` database: what proofs over the log need of its RFC 9162 tree, and no more.
///
/// Only the roots of complete, aligned subtrees of at least ``blockLeaves`` leaves are
/// stored (key: level in the top byte, index below; 32-byte value), written in the same
/// transaction as the records that complete them. The leaves of a partial block are
/// recomputed from the records when a proof or a root needs them (at most 31 records
/// read and hashed). Key `UInt64.max` holds how many leaves the stored nodes cover; its
/// absence means a log written before the tree existed, whose tree the first writer builds.
enum MerkleStore {
    static let name = "merkle"
    /// Leaves under the smallest stored node: 2^5. Smaller blocks cost more storage per
    /// event; larger ones more records read and hashed per proof.
    static let blockLevel: UInt64 = 5
    static let blockLeaves: UInt64 = 1 << blockLevel
    private static let coveredKey = UInt64.max

    static func key(level: UInt64, index: UInt64) -> UInt64 { level << 56 | index }

    /// Opens (or, for a writer, creates) the database. A writer finding a log older than the
    /// tree builds it here, reporting progress; a reader of such a log gets nil.
    static func open(_ env: LMDBEnvironment, logDB: MDB_dbi, build: Bool = true, maxMapSize: Int, progress: (@Sendable (UInt64, UInt64) -> Void)?) throws -> MDB_dbi? {
        if env.readOnly {
            return try env.read(keepHandles: true) { txn -> MDB_dbi? in
                let opened: Result<MDB_dbi, LMDBError> = Result { () throws(LMDBError) in try env.openDatabase(name, flags: MDB_INTEGERKEY, in: txn) }
                if case let .failure(e) = opened, e.code == MDB_NOTFOUND { return nil }
                let dbi = try opened.get()
                return try covered(txn, dbi) == nil ? nil : dbi
            }
        }
        let dbi = try env.write { txn in try env.openDatabase(name, flags: MDB_INTEGERKEY, in: txn) }
        guard build else { return dbi }
        let leaves = try env.read { txn in try LogWriter.lastRecord(txn, logDB).position }
        let blocks = leaves / blockLeaves
        // Resumed from what is covered: a build interrupted part way (or records appended
        // by an older version since) continues here, in bounded transactions, rather than
        // in the first commit's transaction.
        let done = try env.read { txn in try covered(txn, dbi) }
        if let done, done / blockLeaves >= blocks { return dbi }
        let hasher = MerkleHasher()
        var next = (done ?? 0) / blockLeaves
        while next < blocks {
            let last = min(blocks, next + 16_384)
            do {
                try env.write { txn in
                    try storeBlocks(next..<last, txn, dbi, logDB, hasher)
                    try setCovered(last * blockLeaves, txn, dbi)
                }
            } catch let e as LMDBError where e.isMapFull {
                // A log written before the tree may fill its map exactly: grow it, as appends do.
                try env.grow(upTo: maxMapSize)
                continue
            }
            progress?(last * blockLeaves, leaves)
            next = last
        }
        if done == nil && blocks == 0 { try env.write { txn in try setCovered(0, txn, dbi) } }
        progress?(leaves, leaves)
        return dbi
    }

    static func covered(_ txn: LMDBTransaction, _ dbi: MDB_dbi) throws -> UInt64? {
        try txn.get(dbi, integerKey: coveredKey) { $0.count == 8 ? $0.loadUnaligned(as: UInt64.self) : nil } ?? nil
    }

    static func setCoveredForTesting(_ leaves: UInt64, _ txn: LMDBTransaction, _ dbi: MDB_dbi) throws { try setCovered(leaves, txn, dbi) }

    private static func setCovered(_ leaves: UInt64, _ txn: LMDBTransaction, _ dbi: MDB_dbi) throws {
        try put(coveredKey, leaves, txn, dbi)
    }

    private static func put(_ key: UInt64, _ value: UInt64, _ txn: LMDBTransaction, _ dbi: MDB_dbi) throws {
        var k = key, v = value
        try withUnsafeBytes(of: &k) { kb in try withUnsafeBytes(of: &v) { vb in try txn.put(dbi, key: kb, value: vb, flags: 0) } }
    }

    private static func put(_ key: UInt64, _ digest: SHA256Digest, _ txn: LMDBTransaction, _ dbi: MDB_dbi) throws {
        var k = key
        try withUnsafeBytes(of: &k) { kb in try digest.withUnsafeBytes { vb in try txn.put(dbi, key: kb, value: vb, flags: 0) } }
    }

    static func node(level: UInt64, index: UInt64, _ txn: LMDBTransaction, _ dbi: MDB_dbi?) throws -> SHA256Digest? {
        guard let dbi else { return nil }
        return try txn.get(dbi, integerKey: key(level: level, index: index)) { SHA256Digest(bytes: $0) } ?? nil
    }

    /// The leaf hash of the record at `position` (leaf `position − 1`).
    static func leaf(position: UInt64, _ txn: LMDBTransaction, _ logDB: MDB_dbi, _ hasher: MerkleHasher) throws -> SHA256Digest {
        guard let hash = try txn.get(logDB, integerKey: position, { bytes in hasher.leaf(bytes) }) else {
            throw LogError(.corruptRecord(position: position, "the log has no record here, yet the tree needs it")) }
        return hash
    }

    /// Stores the roots of `blocks` (their records must be in `txn`) and every ancestor they
    /// complete. The records are read with one cursor, in order: a lookup per record would
    /// cost more than hashing it.
    static func storeBlocks(_ blocks: Range<UInt64>, _ txn: LMDBTransaction, _ dbi: MDB_dbi, _ logDB: MDB_dbi, _ hasher: MerkleHasher) throws {
        guard !blocks.isEmpty else { return }
        var leaves = [SHA256Digest](repeating: .zero, count: Int(blockLeaves))
        try txn.withCursor(logDB) { cursor in
            var entry = try cursor.seek(integerKey: blocks.lowerBound * blockLeaves + 1)
            for block in blocks {
                for i in 0..<Int(blockLeaves) {
                    let position = block * blockLeaves + UInt64(i) + 1
                    guard let e = entry, e.integerKey == position else {
                        throw LogError(.corruptRecord(position: position, "the log has no record here, yet the tree needs it"))
                    }
                    leaves[i] = hasher.leaf(e.value)
                    entry = try cursor.move(MDB_NEXT)
                }
                try storeBlock(block, root: MerkleTree.root(of: 0..<blockLeaves, hasher: hasher) { leaves[Int($0)] }, txn, dbi, hasher)
            }
        }
    }

    /// Stores block `block`'s root, then every ancestor it completes.
    private static func storeBlock(_ block: UInt64, root: SHA256Digest, _ txn: LMDBTransaction, _ dbi: MDB_dbi, _ hasher: MerkleHasher) throws {
        var level = blockLevel, index = block, digest = root
        try put(key(level: level, index: index), digest, txn, dbi)
        while index & 1 == 1 {
            guard let left = try node(level: level, index: index - 1, txn, dbi) else {
                throw LogError(.corruptRecord(position: block * blockLeaves + 1, "the Merkle tree misses the node at level \(level), index \(index - 1)"))
            }
            digest = hasher.node(left, digest)
            level += 1
            index >>= 1
            try put(key(level: level, index: index), digest, txn, dbi)
        }
    }

    /// Called by the writer in the transaction that appended leaves up to `leaves`: stores
    /// every block those leaves completed.
    static func appended(through leaves: UInt64, _ txn: LMDBTransaction, _ dbi: MDB_dbi, _ logDB: MDB_dbi, _ hasher: MerkleHasher) throws {
        let done = try covered(txn, dbi) ?? 0
        let complete = leaves / blockLeaves * blockLeaves
        guard complete > done else { return }
        try storeBlocks((done / blockLeaves)..<(complete / blockLeaves), txn, dbi, logDB, hasher)
        try setCovered(complete, txn, dbi)
    }

    /// The root of leaves `range`, from stored nodes where the range is a stored subtree,
    /// otherwise from the records.
    static func subtree(_ range: Range<UInt64>, _ txn: LMDBTransaction, _ dbi: MDB_dbi?, _ logDB: MDB_dbi, _ hasher: MerkleHasher) throws -> SHA256Digest {
        let n = UInt64(range.count)
        if n >= blockLeaves && n & (n - 1) == 0 && range.lowerBound % n == 0 {
            let level = UInt64(n.trailingZeroBitCount)
            if let stored = try node(level: level, index: range.lowerBound / n, txn, dbi) { return stored }
        }
        if n <= blockLeaves {
            return try MerkleTree.root(of: range, hasher: hasher) { try leaf(position: $0 + 1, txn, logDB, hasher) }
        }
        let k = MerkleTree.split(n)
        return hasher.node(try subtree(range.lowerBound..<range.lowerBound + k, txn, dbi, logDB, hasher),
                           try subtree(range.lowerBound + k..<range.upperBound, txn, dbi, logDB, hasher))
    }
}
