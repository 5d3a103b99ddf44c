import Glibc
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

extension MerkleBenchmarks {
    /// Durable appends to two logs in one process, one keeping its tree and one not,
    /// alternating in bursts of `burst` events from `callers` tasks, `bursts` times: both
    /// see the same disk and machine state, which on a shared virtual disk moves by more
    /// than the difference measured.
    static func appendPaired(dir: String, callers: Int, burst: Int, bursts: Int) async throws {
        func open(_ name: String, tree: Bool) throws -> EventLog {
            var config = LogConfiguration()
            config.maintainMerkleTree = tree
            return try EventLog(directory: dir + "/" + name, configuration: config)
        }
        mkdir(dir, 0o755)
        let logs = [try open("tree", tree: true), try open("notree", tree: false)]
        var seconds = [0.0, 0.0], events = [0, 0]
        var next = [1, 1]
        for b in 0..<bursts {
            // tree, notree, notree, tree, …: neither always goes first.
            let which = (b / 2 + b) % 2
            let log = logs[which], first = next[which], per = burst / callers
            let start = monotonicSeconds()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for c in 0..<callers {
                    group.addTask {
                        for i in 0..<per { try await log.append(LogBenchmarks.rotation(first + c * per + i, users: 10_000)) }
                    }
                }
                try await group.waitForAll()
            }
            seconds[which] += monotonicSeconds() - start
            events[which] += per * callers
            next[which] += per * callers
        }
        let on = Double(events[0]) / seconds[0], off = Double(events[1]) / seconds[1]
        report(["bench": "merkle-append-paired", "callers": callers, "events": events[0] + events[1],
                "mean_batch_tree": Double(events[0]) / Double(logs[0].commitCount), "per_second": on, "baseline_per_second": off, "ratio": on / off])
    }
}
