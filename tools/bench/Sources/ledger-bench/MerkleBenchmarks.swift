import LedgerCodec
import LedgerCrypto
import LedgerLog

/// The Merkle tree's costs: the one-time build, its storage, and proof generation.
enum MerkleBenchmarks {
    /// `events` rotation events written without the tree (no fsync), in batches of 1024.
    static func fill(dir: String, events: Int) throws {
        var config = LogConfiguration.unsafeFast()
        config.maintainMerkleTree = false
        let log = try EventLog(directory: dir, configuration: config)
        var i = 0
        while i < events {
            let n = min(1024, events - i)
            _ = try log.commit(groups: [(i..<(i + n)).map { LogBenchmarks.rotation($0 + 1, users: 10_000) }])
            i += n
        }
        let stats = try log.statistics()
        report(["bench": "merkle-fill", "events": stats.records, "used_bytes": stats.usedBytes])
    }

    /// Opens a log without a tree as a writer: the open builds it. Reports the time and the
    /// pages the tree's database occupies, per event.
    static func build(dir: String) throws {
        let start = monotonicSeconds()
        let log = try EventLog(directory: dir, configuration: .unsafeFast())
        let secs = monotonicSeconds() - start
        let stats = try log.statistics()
        let treeBytes = try log.merkleStorageBytes()
        // The check that the build is the tree: its root against the records, recomputed.
        let size = UInt64(min(stats.records, 100_000))
        let leaves = try log.read(from: 1, limit: Int(size)).map(\.leafHash)
        guard try log.merkleRoot(size: size) == MerkleTree.root(of: 0..<size, leaf: { leaves[Int($0)] }) else {
            fail("merkle-build: the built tree's root differs from the records' root")
        }
        report(["bench": "merkle-build", "events": stats.records, "seconds": secs, "per_second": Double(stats.records) / secs,
                "tree_bytes": treeBytes, "bytes_per_event": Double(treeBytes) / Double(stats.records)])
    }

    /// Inclusion proofs for random positions against the whole log, for `seconds`.
    static func prove(dir: String, seconds: Double) throws {
        var config = LogConfiguration()
        config.readOnly = true
        let log = try EventLog(directory: dir, configuration: config)
        let size = try log.head().position
        var rng = SystemRandomNumberGenerator()
        var n = 0, hashes = 0
        let start = monotonicSeconds()
        var now = start
        while now - start < seconds {
            for _ in 0..<256 { hashes += try log.inclusionProof(position: UInt64.random(in: 1...size, using: &rng), size: size).count }
            n += 256
            now = monotonicSeconds()
        }
        report(["bench": "merkle-prove", "events": size, "proofs": n, "mean_hashes": Double(hashes) / Double(n),
                "seconds": now - start, "per_second": Double(n) / (now - start)])
    }
}
