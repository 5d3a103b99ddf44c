import LedgerCodec
/// How an ``EventLog`` is opened. Every field has a production-safe default.
public struct LogConfiguration: Sendable {
    /// Whether a commit waits for the disk.
    public enum Durability: Sendable, Equatable {
        /// Each group commit is fsync'd before any caller in it is answered (the default).
        case durable
        /// Commits are not fsync'd. **Unsafe**: a power loss or kernel crash can lose
        /// acknowledged events or corrupt the environment. For tests and benchmarks only.
        case unsafeNoSync
    }

    public var durability: Durability = .durable
    /// The map size a new environment starts with; it doubles whenever it fills.
    public var initialMapSize: Int = 64 << 20
    /// The map never grows beyond this; appends then fail with ``LogError/Kind/full(mapSize:)``.
    public var maxMapSize: Int = 1 << 40
    /// Open without the writer lock and refuse appends, e.g. for audit tools beside a server.
    public var readOnly = false
    /// Where commit timestamps come from.
    public var clock: any LedgerClock = SystemClock()
    /// The most `append` calls the group committer gathers into one LMDB transaction.
    public var maxBatchAppends = 8192
    /// LMDB reader slots (concurrent read transactions across all processes).
    public var maxReaders: UInt32 = 510
    /// How often a tail in a read-only process looks for commits made by another process.
    public var foreignCommitPollInterval: Duration = .milliseconds(100)
    /// Progress of the one-time build of the Merkle tree for a log written before the tree
    /// existed: (leaves done, leaves in all). Set it to report a long build.
    public var merkleBuildProgress: (@Sendable (UInt64, UInt64) -> Void)?
    /// Keep the Merkle tree current in each append's transaction. **Leave it on**: off is a
    /// benchmark-only baseline (`tools/bench.sh merkle`); proofs stay correct but slow
    /// (recomputed from the records), and the next open with it on builds what was skipped.
    public var maintainMerkleTree = true

    public init() {}

    /// A configuration for tests and benchmarks: small map, no fsync (unsafe).
    public static func unsafeFast(clock: any LedgerClock = SystemClock()) -> LogConfiguration {
        var c = LogConfiguration()
        c.durability = .unsafeNoSync
        c.clock = clock
        return c
    }
}

/// The newest committed record: its position and chain hash (zero and ``SHA256Digest/zero`` when empty).
public struct LogHead: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var position: UInt64
    public var chainHash: SHA256Digest
    public init(position: UInt64, chainHash: SHA256Digest) {
        self.position = position
        self.chainHash = chainHash
    }
    public static let empty = LogHead(position: 0, chainHash: .zero)
    public var description: String { "\(position)@\(chainHash.hex.prefix(16))" }
}

/// What an append committed: the positions its events got and the head after the commit.
public struct AppendReceipt: Sendable, Equatable {
    /// The first and last position of this caller's events (empty appends get `head+1..<head+1`).
    public var positions: Range<UInt64>
    /// The commit timestamp of this caller's events (of the first, if they were given
    /// different times): never earlier than any record before them.
    public var timestamp: Timestamp
    /// The log head right after the transaction that carried these events.
    public var head: LogHead
}

import LedgerCrypto
