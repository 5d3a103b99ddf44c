import LedgerCodec
import LedgerCrypto
@testable import LedgerLog
import LedgerTesting
import Synchronization
import Testing

@Suite("The log's Merkle tree")
struct MerkleLogTests {
    /// The tree head computed independently: every record's SHA-256(0x00 ‖ stored bytes),
    /// combined by the reference definition.
    static func independentRoot(_ log: EventLog, size: UInt64) throws -> SHA256Digest {
        let leaves = try log.read(from: 1, limit: Int(size)).map { SHA256.hash([0] + $0.storedBytes) }
        return MerkleTree.root(of: 0..<size) { leaves[Int($0)] }
    }

    @Test("maintained with every append: roots at every size equal an independent computation; proofs verify", arguments: [1, 2, 3])
    func maintained(seed: UInt64) async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        var rng = SeededGenerator(state: seed)
        var roots: [SHA256Digest] = [MerkleTree.emptyRoot]
        while try log.head().position < 700 {
            let n = Int.random(in: 1...(Bool.random(using: &rng) ? 3 : 90), using: &rng)
            try await log.append((0..<n).map { rotation("u\($0 % 5)", generation: UInt32($0 + 1)) })
            let size = try log.head().position
            let root = try log.merkleRoot(size: size)
            #expect(root == (try Self.independentRoot(log, size: size)), "size \(size)")
            while roots.count <= Int(size) { roots.append(.zero) }
            roots[Int(size)] = root
        }
        let head = try log.head().position
        let leaves = try log.read(from: 1, limit: Int(head)).map(\.leafHash)
        for _ in 0..<300 {
            let size = UInt64.random(in: 1...head, using: &rng), position = UInt64.random(in: 1...size, using: &rng)
            let proof = try log.inclusionProof(position: position, size: size)
            try MerkleTree.verifyInclusion(leafHash: leaves[Int(position - 1)], index: position - 1, size: size, proof: proof,
                                           root: try log.merkleRoot(size: size))
            if size > 1 {
                let old = UInt64.random(in: 1..<size, using: &rng)
                let c = try log.consistencyProof(from: old, to: size)
                try MerkleTree.verifyConsistency(oldSize: old, newSize: size, oldRoot: try log.merkleRoot(size: old),
                                                 newRoot: try log.merkleRoot(size: size), proof: c)
            }
        }
    }

    @Test("a log from before the tree gets it built once when a writer opens it, with progress reported; readers then use it")
    func builtOnce() async throws {
        let dir = TemporaryDirectory()
        var root = SHA256Digest.zero
        do {
            let log = try openLog(dir)
            for g in 0..<25 { try await log.append((0..<40).map { rotation("u\($0)", generation: UInt32(g * 40 + $0 + 1)) }) }
            root = try log.merkleRoot(size: 1_000)
            try log.dropMerkleTreeForTesting()
        }
        let reports = ProgressLog()
        var config = LogConfiguration.unsafeFast()
        config.merkleBuildProgress = { done, all in reports.add(done, all) }
        let reopened = try EventLog(directory: dir.appending("data"), configuration: config)
        #expect(reports.values.last.map { $0 == (1_000, 1_000) } == true)
        // The tree is stored, not recomputed from the records on every question.
        #expect(try reopened.merkleCoveredForTesting() == 992)
        #expect(try reopened.merkleNodeStoredForTesting(level: 5, index: 30))
        #expect(try reopened.merkleNodeStoredForTesting(level: 9, index: 0))
        #expect(try reopened.merkleRoot(size: 1_000) == root)
        #expect(try reopened.merkleRoot(size: 999) == (try Self.independentRoot(reopened, size: 999)))
    }

    @Test("with tree maintenance off (the benchmark baseline) nothing is stored, proofs stay right, and the next open builds the tree")
    func maintenanceOff() async throws {
        let dir = TemporaryDirectory()
        var config = LogConfiguration.unsafeFast()
        config.maintainMerkleTree = false
        do {
            let log = try EventLog(directory: dir.appending("data"), configuration: config)
            for g in 0..<10 { try await log.append((0..<20).map { rotation("u\($0)", generation: UInt32(g * 20 + $0 + 1)) }) }
            #expect(try log.merkleCoveredForTesting() == nil)
            #expect(try !log.merkleNodeStoredForTesting(level: 5, index: 0))
            #expect(try log.merkleRoot(size: 200) == (try Self.independentRoot(log, size: 200)))
        }
        let reopened = try EventLog(directory: dir.appending("data"), configuration: .unsafeFast())
        #expect(try reopened.merkleCoveredForTesting() == 192)
        #expect(try reopened.merkleNodeStoredForTesting(level: 7, index: 0))
        #expect(try reopened.merkleRoot(size: 200) == (try Self.independentRoot(reopened, size: 200)))
    }

    @Test("the one-time build of a log that filled its map grows the map, as appends do")
    func buildGrowsTheMap() async throws {
        let dir = TemporaryDirectory()
        var config = LogConfiguration.unsafeFast()
        config.maintainMerkleTree = false
        config.initialMapSize = 1 << 20
        config.maxMapSize = 1 << 20
        var head: UInt64 = 0
        do {
            let log = try EventLog(directory: dir.appending("data"), configuration: config)
            var full = false
            while !full {
                do { try await log.append((0..<64).map { rotation("u\($0)", generation: UInt32($0 + 1)) }) } catch {
                    guard case .full = error.kind else { throw error }
                    full = true
                }
            }
            head = try log.head().position
        }
        config.maintainMerkleTree = true
        config.maxMapSize = 64 << 20
        let reopened = try EventLog(directory: dir.appending("data"), configuration: config)
        #expect(try reopened.merkleCoveredForTesting() == head / 32 * 32)
        #expect(try reopened.merkleRoot(size: head) == (try Self.independentRoot(reopened, size: head)))
    }

    @Test("a build interrupted part way is resumed when the log is next opened, not left to the next commit")
    func resumedBuild() async throws {
        let dir = TemporaryDirectory()
        do {
            let log = try openLog(dir)
            for g in 0..<10 { try await log.append((0..<50).map { rotation("u\($0)", generation: UInt32(g * 50 + $0 + 1)) }) }
            #expect(try log.merkleCoveredForTesting() == 480)
            try log.setMerkleCoveredForTesting(64)
        }
        let reports = ProgressLog()
        var config = LogConfiguration.unsafeFast()
        config.merkleBuildProgress = { done, all in reports.add(done, all) }
        let reopened = try EventLog(directory: dir.appending("data"), configuration: config)
        #expect(try reopened.merkleCoveredForTesting() == 480)
        #expect(!reports.values.isEmpty)
        #expect(try reopened.merkleRoot(size: 500) == (try Self.independentRoot(reopened, size: 500)))
    }

    @Test("a changed record, or a forked log, is caught by the verifiers")
    func tampering() async throws {
        let a = TemporaryDirectory(), b = TemporaryDirectory()
        let clock = ManualClock()   // the same times in both: the logs differ only where B forks
        let logA = try openLog(a, clock: clock), logB = try openLog(b, clock: clock)
        for g in 1...100 {
            try await logA.append(rotation("u", generation: UInt32(g)))
            try await logB.append(rotation("u", generation: UInt32(g == 50 ? 9_999 : g)))   // B forks at 50
        }
        // A's record 50 as B has it is not leaf 49 of A's tree.
        let forged = try #require(try logB.record(at: 50)).leafHash
        let proof = try logA.inclusionProof(position: 50, size: 100)
        #expect(throws: MerkleError.self) {
            try MerkleTree.verifyInclusion(leafHash: forged, index: 49, size: 100, proof: proof, root: try logA.merkleRoot(size: 100))
        }
        // B's tree at 100 does not extend A's tree at 60 (they agree only up to 49).
        let c = try logB.consistencyProof(from: 60, to: 100)
        #expect(throws: MerkleError.self) {
            try MerkleTree.verifyConsistency(oldSize: 60, newSize: 100, oldRoot: try logA.merkleRoot(size: 60), newRoot: try logB.merkleRoot(size: 100), proof: c)
        }
        // Before the fork they agree.
        let early = try logB.consistencyProof(from: 40, to: 100)
        try MerkleTree.verifyConsistency(oldSize: 40, newSize: 100, oldRoot: try logA.merkleRoot(size: 40), newRoot: try logB.merkleRoot(size: 100), proof: early)
    }
}

final class ProgressLog: Sendable {
    private let reports = Mutex<[(UInt64, UInt64)]>([])
    func add(_ done: UInt64, _ all: UInt64) { reports.withLock { $0.append((done, all)) } }
    var values: [(UInt64, UInt64)] { reports.withLock { $0 } }
}
