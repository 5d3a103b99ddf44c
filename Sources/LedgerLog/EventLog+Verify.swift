import LedgerCodec
import LedgerCrypto

/// The result of walking the hash chain.
public struct ChainReport: Sendable, Equatable {
    /// Records whose chain hash was recomputed.
    public var checked: UInt64
    /// The head as found (the last record read).
    public var head: LogHead
    /// The first record that breaks the chain, if any.
    public var firstBreak: ChainBreak?
    public var isIntact: Bool { firstBreak == nil }
}

/// Where and how the chain broke.
public struct ChainBreak: Sendable, Equatable, CustomStringConvertible {
    public var position: UInt64
    public var reason: String
    public var description: String { "position \(position): \(reason)" }
}

extension EventLog {
    /// Recomputes every chain hash from position 1 and reports the first record that does
    /// not match: a changed byte, a removed or reordered record, a gap in positions.
    /// (Truncation of the newest records is visible only against a head recorded elsewhere,
    /// such as a snapshot or an auditor's note.)
    public func verifyChain(progress: ((UInt64) -> Void)? = nil) throws -> ChainReport {
        let hasher = SHA256()
        var previous = SHA256Digest.zero
        var expected: UInt64 = 1
        var broken: ChainBreak?
        var checked: UInt64 = 0
        try scan(from: 1) { view in
            if view.position != expected {
                broken = ChainBreak(position: expected, reason: "record missing: the next record is at position \(view.position)")
                return false
            }
            let computed = RecordLayout.chainHash(previous: previous, position: view.position, body: view.body, hasher: hasher)
            let stored = view.chainHash
            if computed != stored {
                broken = ChainBreak(position: view.position,
                                    reason: "chain hash mismatch: stored \(stored.hex.prefix(16))…, computed \(computed.hex.prefix(16))…; the record or its predecessor was altered")
                return false
            }
            previous = stored
            checked += 1
            expected += 1
            if checked % 1_000_000 == 0 { progress?(checked) }
            return true
        }
        return ChainReport(checked: checked, head: LogHead(position: expected - 1, chainHash: previous), firstBreak: broken)
    }
}
