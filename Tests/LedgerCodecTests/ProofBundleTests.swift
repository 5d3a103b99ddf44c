import Foundation
import LedgerCodec
import LedgerCrypto
import Testing

/// A signed log of `leaves` made-up records, for proofs built with nothing but the codec.
struct SignedTree {
    let records: [[UInt8]]
    let key: Ed25519.SigningKey
    let origin = "test.example/log"

    init(records: [[UInt8]], key: Ed25519.SigningKey) {
        self.records = records
        self.key = key
    }

    var verifierKey: String { NoteKey(name: origin, publicKey: try! key.publicKey).verifierKey }
    var hashes: [SHA256Digest] { records.map(MerkleTree.leafHash) }

    func subtree(_ r: Range<UInt64>) -> SHA256Digest {
        let h = hashes
        return MerkleTree.root(of: r) { h[Int($0)] }
    }

    func note(size: UInt64) throws -> String {
        try SignedCheckpoint.sign(Checkpoint(origin: origin, size: size, root: subtree(0..<size)), with: key).note
    }

    func bundle(position: UInt64, size: UInt64) throws -> ProofBundle {
        ProofBundle(record: records[Int(position - 1)], index: position - 1,
                    proof: try MerkleTree.inclusionProof(index: position - 1, size: size, subtree: subtree), checkpointNote: try note(size: size))
    }

    func consistency(from old: UInt64, to new: UInt64) throws -> ConsistencyBundle {
        ConsistencyBundle(oldSize: old, proof: old == new ? [] : try MerkleTree.consistencyProof(from: old, to: new, subtree: subtree),
                          checkpointNote: try note(size: new))
    }
}

@Suite("Proof bundles and the offline verifier")
struct ProofBundleTests {
    let key = try! Ed25519.SigningKey()
    var tree: SignedTree { SignedTree(records: (1...45).map { Array("record \($0)".utf8) }, key: key) }

    @Test("standard base64 matches RFC 4648 and Foundation, and decodes strictly")
    func base64() {
        for (plain, encoded) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        let bytes: [UInt8] = [0xfb, 0xff, 0xbf, 0x3e, 0x00]
        #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
        for bad in ["Zg", "Zg=", "Zg===", "Zh==", "Zm9v\n", "-_8=", "Zm=v", "====", "Z==="] { #expect(Base64.decode(bad) == nil, "\(bad)") }
    }

    @Test("a bundle round-trips through its text and verifies for every position")
    func roundTrip() throws {
        let t = tree
        for size in [1, 2, 31, 32, 33, 45] as [UInt64] {
            for position in 1...size {
                let text = try t.bundle(position: position, size: size).text
                #expect(text.hasPrefix("c2sp.org/tlog-proof@v1\nextra "))
                #expect(try ProofBundle(parsing: text) == t.bundle(position: position, size: size))
                let verified = try LogVerifier.verify(bundle: text, verifierKey: t.verifierKey)
                #expect(verified.record.position == position && verified.record.storedBytes == t.records[Int(position - 1)])
                #expect(verified.checkpoint.size == size)
            }
        }
    }

    @Test("a changed record, a moved index, a shortened proof or another key is refused, naming why")
    func bundleTampering() throws {
        let t = tree
        let good = try t.bundle(position: 10, size: 45)
        func kind(_ b: ProofBundle, key: String? = nil) -> ProofError.Kind? {
            do { _ = try LogVerifier.verify(bundle: b.text, verifierKey: key ?? t.verifierKey); return nil } catch { return error.kind }
        }
        #expect(kind(good) == nil)
        #expect(kind(ProofBundle(record: Array("record 10!".utf8), index: 9, proof: good.proof, checkpointNote: good.checkpointNote)) == .notIncluded)
        #expect(kind(ProofBundle(record: good.record, index: 10, proof: good.proof, checkpointNote: good.checkpointNote)) == .notIncluded)
        #expect(kind(ProofBundle(record: good.record, index: 9, proof: good.proof.dropLast(), checkpointNote: good.checkpointNote)) == .notIncluded)
        let other = SignedTree(records: t.records, key: try Ed25519.SigningKey())
        #expect(kind(good, key: other.verifierKey) == .badSignature)
        let forged = good.checkpointNote.replacingOccurrences(of: "\n45\n", with: "\n46\n")
        #expect(kind(ProofBundle(record: good.record, index: 9, proof: good.proof, checkpointNote: forged)) == .badSignature)
        #expect(throws: ProofError.self) { try ProofBundle(parsing: "c2sp.org/tlog-proof@v1\nindex 3\n\n" + good.checkpointNote) }
        #expect(throws: ProofError.self) { try ProofBundle(parsing: good.text.replacingOccurrences(of: "index 9", with: "index 09")) }
    }

    @Test("consistency: an extension verifies; a rollback, a fork and a rewritten history are refused")
    func consistency() throws {
        let t = tree
        let old = try t.note(size: 30)
        for new in [30, 31, 32, 45] as [UInt64] {
            let (a, b) = try LogVerifier.verify(consistency: try t.consistency(from: 30, to: new).text, old: old, verifierKey: t.verifierKey)
            #expect(a.size == 30 && b.size == new)
        }
        func kind(_ text: String) -> ProofError.Kind? {
            do { _ = try LogVerifier.verify(consistency: text, old: old, verifierKey: t.verifierKey); return nil } catch { return error.kind }
        }
        // Rolled back: a later checkpoint of fewer events.
        #expect(kind(ConsistencyBundle(oldSize: 30, proof: [], checkpointNote: try t.note(size: 20)).text) == .rolledBack)
        // Forked: the same first 20 records, then others, signed by the same key.
        var forkRecords = t.records
        for i in 20..<45 { forkRecords[i] = Array("fork \(i)".utf8) }
        let fork = SignedTree(records: forkRecords, key: key)
        #expect(kind(try fork.consistency(from: 30, to: 45).text) == .inconsistent)
        #expect(kind(try fork.consistency(from: 30, to: 30).text) == .inconsistent)
        // Rewritten: one record removed, or two swapped, and the rest re-signed.
        var removed = t.records
        removed.remove(at: 9)
        removed.append(Array("record 46".utf8))
        #expect(kind(try SignedTree(records: removed, key: key).consistency(from: 30, to: 45).text) == .inconsistent)
        var swapped = t.records
        swapped.swapAt(9, 10)
        #expect(kind(try SignedTree(records: swapped, key: key).consistency(from: 30, to: 45).text) == .inconsistent)
        // A proof from another size than the older checkpoint's is a mistake, not a pass.
        #expect(kind(try t.consistency(from: 29, to: 45).text) == .malformed)
    }
}
