import LedgerCrypto

/// The RFC 9162 (Certificate Transparency v2) Merkle tree hash over the log: leaf `p − 1`
/// is the record at position `p` (``EventRecord/leafHash``), and an interior node is
/// SHA-256(0x01 ‖ left ‖ right). Pure functions over leaf hashes: proofs are produced from
/// whatever stores the leaves, and checked with nothing but hashes (an auditor's side).
public enum MerkleTree {
    /// The hash of the empty tree: SHA-256 of no bytes.
    public static let emptyRoot = SHA256.hash([UInt8]())

    /// SHA-256(0x00 ‖ data). For one hash; loops use a ``MerkleHasher``.
    public static func leafHash<Bytes: ByteStorage>(_ data: Bytes) -> SHA256Digest { MerkleHasher().leaf(data) }

    /// SHA-256(0x01 ‖ left ‖ right). For one hash; loops use a ``MerkleHasher``.
    public static func nodeHash(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest { MerkleHasher().node(left, right) }

    /// The largest power of two smaller than `n` (n ≥ 2): where RFC 9162 splits a range.
    package static func split(_ n: UInt64) -> UInt64 {
        var k: UInt64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH of the leaves `range` of a tree, computed from `leaf`: the reference definition
    /// (RFC 9162 §2.1.1), linear in the range's size.
    public static func root(of range: Range<UInt64>, hasher: MerkleHasher = MerkleHasher(),
                            leaf: (UInt64) throws -> SHA256Digest) rethrows -> SHA256Digest {
        switch range.count {
        case 0: return emptyRoot
        case 1: return try leaf(range.lowerBound)
        default:
            let k = split(UInt64(range.count))
            return hasher.node(try root(of: range.lowerBound..<range.lowerBound + k, hasher: hasher, leaf: leaf),
                               try root(of: range.lowerBound + k..<range.upperBound, hasher: hasher, leaf: leaf))
        }
    }

    /// The audit path of leaf `index` in the tree of the first `size` leaves (RFC 9162
    /// §2.1.3.1), from the leaf's sibling up. `subtree` returns the root of a range of
    /// leaves (a store answers it from saved subtree roots where it can).
    public static func inclusionProof(index: UInt64, size: UInt64,
                                      subtree: (Range<UInt64>) throws -> SHA256Digest) throws -> [SHA256Digest] {
        guard index < size else { throw MerkleError("leaf \(index) is not in a tree of \(size) leaves") }
        var path: [SHA256Digest] = []
        func walk(_ m: UInt64, _ range: Range<UInt64>) throws {
            guard range.count > 1 else { return }
            let k = split(UInt64(range.count))
            let mid = range.lowerBound + k
            if m < mid {
                try walk(m, range.lowerBound..<mid)
                path.append(try subtree(mid..<range.upperBound))
            } else {
                try walk(m, mid..<range.upperBound)
                path.append(try subtree(range.lowerBound..<mid))
            }
        }
        try walk(index, 0..<size)
        return path
    }

    /// The consistency proof between the trees of the first `oldSize` and `newSize` leaves
    /// (RFC 9162 §2.1.4.1).
    public static func consistencyProof(from oldSize: UInt64, to newSize: UInt64,
                                        subtree: (Range<UInt64>) throws -> SHA256Digest) throws -> [SHA256Digest] {
        guard oldSize > 0, oldSize < newSize else {
            throw MerkleError("a consistency proof needs 0 < old size < new size; got \(oldSize) and \(newSize)")
        }
        var proof: [SHA256Digest] = []
        func subproof(_ m: UInt64, _ range: Range<UInt64>, _ complete: Bool) throws {
            let n = UInt64(range.count)
            if m == n {
                if !complete { proof.append(try subtree(range)) }
                return
            }
            let k = split(n)
            let mid = range.lowerBound + k
            if m <= k {
                try subproof(m, range.lowerBound..<mid, complete)
                proof.append(try subtree(mid..<range.upperBound))
            } else {
                try subproof(m - k, mid..<range.upperBound, false)
                proof.append(try subtree(range.lowerBound..<mid))
            }
        }
        try subproof(oldSize, 0..<newSize, true)
        return proof
    }

    /// Checks that `leafHash` is leaf `index` of the tree of `size` leaves whose root is
    /// `root` (RFC 9162 §2.1.3.2). Throws saying why not.
    public static func verifyInclusion(leafHash: SHA256Digest, index: UInt64, size: UInt64,
                                       proof: [SHA256Digest], root: SHA256Digest) throws(MerkleError) {
        let hasher = MerkleHasher()
        guard index < size else { throw MerkleError("leaf index \(index) is not below the tree size \(size)") }
        var fn = index, sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw MerkleError("the inclusion proof is longer than the tree is deep") }
            if fn & 1 == 1 || fn == sn {
                r = hasher.node(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = hasher.node(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw MerkleError("the inclusion proof is shorter than the tree is deep") }
        guard r == root else { throw MerkleError("the inclusion proof leads to another root: the leaf is not in this tree") }
    }

    /// Checks that the tree of `newSize` leaves with root `newRoot` extends the tree of
    /// `oldSize` leaves with root `oldRoot` (RFC 9162 §2.1.4.2): the log was only appended to.
    public static func verifyConsistency(oldSize: UInt64, newSize: UInt64, oldRoot: SHA256Digest, newRoot: SHA256Digest,
                                         proof: [SHA256Digest]) throws(MerkleError) {
        let hasher = MerkleHasher()
        guard oldSize <= newSize else { throw MerkleError("the old size \(oldSize) is larger than the new size \(newSize)") }
        guard oldSize > 0 else { throw MerkleError("every tree extends the empty tree: a consistency proof from size 0 proves nothing") }
        if oldSize == newSize {
            guard proof.isEmpty else { throw MerkleError("equal sizes need an empty proof") }
            guard oldRoot == newRoot else { throw MerkleError("two trees of \(oldSize) leaves with different roots: the log was forked") }
            return
        }
        guard !proof.isEmpty else { throw MerkleError("an empty consistency proof between different sizes") }
        var path = proof[...]
        // A power-of-two old tree is itself a node of the new one: its root starts the path.
        if oldSize & (oldSize - 1) == 0 { path = [oldRoot] + proof }
        var fn = oldSize - 1, sn = newSize - 1
        while fn & 1 == 1 { fn >>= 1; sn >>= 1 }
        var fr = path.removeFirst(), sr = fr
        for c in path {
            guard sn != 0 else { throw MerkleError("the consistency proof is longer than the trees are deep") }
            if fn & 1 == 1 || fn == sn {
                fr = hasher.node(c, fr)
                sr = hasher.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                sr = hasher.node(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw MerkleError("the consistency proof is shorter than the trees are deep") }
        guard fr == oldRoot else { throw MerkleError("the proof does not lead to the old root: not an extension of that tree") }
        guard sr == newRoot else { throw MerkleError("the proof does not lead to the new root: not an extension of that tree") }
    }
}

/// Why a Merkle proof could not be made or does not verify.
public struct MerkleError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
