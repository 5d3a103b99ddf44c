import Foundation
import LedgerCodec
import LedgerCrypto
import Testing

@Suite("Signed checkpoints (C2SP tlog-checkpoint, signed-note)")
struct CheckpointTests {
    let root = MerkleTree.leafHash(Array("head".utf8))

    @Test("a signed checkpoint verifies with the published verifier key, and only with it")
    func signAndVerify() throws {
        let key = try Ed25519.SigningKey()
        let origin = "authledger.example/log"
        let signed = try SignedCheckpoint.sign(Checkpoint(origin: origin, size: 1_234, root: root), with: key)
        let verifier = NoteKey(name: origin, publicKey: try key.publicKey).verifierKey
        #expect(verifier.hasPrefix(origin + "+"))
        let checkpoint = try SignedCheckpoint.verify(note: signed.note, verifierKey: verifier)
        #expect(checkpoint == Checkpoint(origin: origin, size: 1_234, root: root))
        #expect(signed.note.hasPrefix("\(origin)\n1234\n\(root.bytes.base64)\n\n— \(origin) "))

        // Another key with the same name, a changed size, a rolled-back root: refused.
        let other = NoteKey(name: origin, publicKey: try Ed25519.SigningKey().publicKey).verifierKey
        #expect(throws: CheckpointError.self) { try SignedCheckpoint.verify(note: signed.note, verifierKey: other) }
        let altered = signed.note.replacingOccurrences(of: "\n1234\n", with: "\n1233\n")
        #expect(throws: CheckpointError.self) { try SignedCheckpoint.verify(note: altered, verifierKey: verifier) }
        #expect(throws: (any Error).self) { try SignedCheckpoint.verify(note: "garbage", verifierKey: verifier) }
    }

    @Test("a verifier key whose id does not match its name and key is refused")
    func verifierKeyID() throws {
        let key = NoteKey(name: "log", publicKey: try Ed25519.SigningKey().publicKey)
        let parts = key.verifierKey.split(separator: "+", maxSplits: 2)
        #expect(throws: (any Error).self) { try NoteKey(verifierKey: "other+\(parts[1])+\(parts[2])") }
        #expect(try NoteKey(verifierKey: key.verifierKey) == key)
    }
}

extension Array where Element == UInt8 {
    var base64: String { Data(self).base64EncodedString() }
}
