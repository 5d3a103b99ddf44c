import LedgerCrypto

/// A proof that one event is in the log, in the C2SP `tlog-proof` form:
///
///     c2sp.org/tlog-proof@v1
///     extra <base64 of the record's stored bytes>
///     index <leaf index = position − 1>
///     <inclusion proof: one base64 hash per line, from the leaf's sibling up>
///     (blank line)
///     <the signed checkpoint, verbatim>
///
/// The `extra` line carries what the leaf hash is computed from, so the bundle alone shows
/// the event and proves it; it is not trusted by itself: a verifier hashes it and checks
/// the inclusion proof against the signed root.
public struct ProofBundle: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"

    /// The record's stored bytes (the leaf's data).
    public let record: [UInt8]
    /// Zero-based leaf index: the record's position minus one.
    public let index: UInt64
    public let proof: [SHA256Digest]
    /// The signed checkpoint (a C2SP signed note) the proof leads to.
    public let checkpointNote: String

    public init(record: [UInt8], index: UInt64, proof: [SHA256Digest], checkpointNote: String) {
        self.record = record
        self.index = index
        self.proof = proof
        self.checkpointNote = checkpointNote
    }

    /// The log position of the event (index + 1).
    public var position: UInt64 { index + 1 }

    /// The bundle as text, ready to store as a `.tlog-proof` file.
    public var text: String {
        var out = Self.header + "\nextra " + Base64.encode(record) + "\nindex \(index)\n"
        for hash in proof { out += Base64.encode(hash.bytes) + "\n" }
        return out + "\n" + checkpointNote
    }

    /// Parses a bundle. Checks the layout only; ``LogVerifier/verify(bundle:verifierKey:)``
    /// checks what it claims.
    public init(parsing text: String) throws(ProofError) {
        guard let (head, note) = text.splitAtBlankLine() else { throw ProofError(.malformed, "a tlog-proof has a blank line before its checkpoint") }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard lines.popFirst() == Substring(Self.header) else {
            throw ProofError(.malformed, "a tlog-proof starts with the line \(Self.header)")
        }
        guard let extra = lines.popFirst(), extra.hasPrefix("extra "), let record = Base64.decode(extra.dropFirst(6)) else {
            throw ProofError(.malformed, "an AuthLedger proof carries the record as its extra line (extra <base64>)")
        }
        guard let indexLine = lines.popFirst(), indexLine.hasPrefix("index "),
              let index = UInt64(indexLine.dropFirst(6)), String(index) == indexLine.dropFirst(6) else {
            throw ProofError(.malformed, "the index line is not \"index <decimal>\"")
        }
        let proof = try lines.map { line throws(ProofError) in try Self.hash(line) }
        self.init(record: record, index: index, proof: proof, checkpointNote: String(note))
    }

    static func hash(_ line: Substring) throws(ProofError) -> SHA256Digest {
        guard let raw = Base64.decode(line), let hash = SHA256Digest(bytes: raw) else {
            throw ProofError(.malformed, "a proof line is not a base64 SHA-256 hash: \(line.prefix(64))")
        }
        return hash
    }
}

/// A consistency proof from an older tree size to a signed checkpoint, laid out like the
/// body of a C2SP `tlog-witness` add-checkpoint request:
///
///     old <older size>
///     <consistency proof: one base64 hash per line>
///     (blank line)
///     <the newer signed checkpoint, verbatim>
public struct ConsistencyBundle: Sendable, Equatable {
    public let oldSize: UInt64
    public let proof: [SHA256Digest]
    /// The newer signed checkpoint.
    public let checkpointNote: String

    public init(oldSize: UInt64, proof: [SHA256Digest], checkpointNote: String) {
        self.oldSize = oldSize
        self.proof = proof
        self.checkpointNote = checkpointNote
    }

    public var text: String {
        var out = "old \(oldSize)\n"
        for hash in proof { out += Base64.encode(hash.bytes) + "\n" }
        return out + "\n" + checkpointNote
    }

    public init(parsing text: String) throws(ProofError) {
        guard let (head, note) = text.splitAtBlankLine() else { throw ProofError(.malformed, "a consistency proof has a blank line before its checkpoint") }
        var lines = head.split(separator: "\n", omittingEmptySubsequences: false)[...]
        guard let old = lines.popFirst(), old.hasPrefix("old "), let size = UInt64(old.dropFirst(4)), String(size) == old.dropFirst(4) else {
            throw ProofError(.malformed, "a consistency proof starts with the line \"old <size>\"")
        }
        let proof = try lines.map { line throws(ProofError) in try ProofBundle.hash(line) }
        self.init(oldSize: size, proof: proof, checkpointNote: String(note))
    }
}

extension String {
    /// The text before the first blank line (without its line break) and after it: how
    /// notes and proofs separate their parts.
    package func splitAtBlankLine() -> (Substring, Substring)? {
        let u = utf8
        var i = u.startIndex
        while i != u.endIndex {
            let next = u.index(after: i)
            if u[i] == 0x0A, next != u.endIndex, u[next] == 0x0A { return (self[..<i], self[u.index(after: next)...]) }
            i = next
        }
        return nil
    }
}
