import Foundation
import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerLog
import LedgerTesting
import Testing

/// Runs tools/verify_proof.py, as an auditor without Swift would.
func pythonVerifier(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("tools/verify_proof.py").path
    return try ChildProcess.run("python3", [script] + arguments).statusAndOutput
}

/// A log of one API-key event per append, written with a manual clock: two logs given the
/// same ids hold the same records, so they differ exactly where the ids do.
struct KeyEventLog {
    let dir = TemporaryDirectory()
    let log: EventLog

    init(_ ids: [String]) async throws {
        log = try EventLog(directory: dir.path, configuration: .unsafeFast(clock: ManualClock()))
        for id in ids { try await log.append([AuthEvent.apiKeyRevoked(APIKeyRevoked(keyID: id)).pending(user: nil)]) }
    }

    func note(size: UInt64, key: Ed25519.SigningKey, origin: String) throws -> String {
        try SignedCheckpoint.sign(Checkpoint(origin: origin, size: size, root: try log.merkleRoot(size: size)), with: key).note
    }

    func checkpoint(_ size: UInt64) throws -> Checkpoint { Checkpoint(origin: "", size: size, root: try log.merkleRoot(size: size)) }
}

@Suite("Proofs from the command line and the Python verifier")
struct ProofCLITests {
    let files = TemporaryDirectory()

    func write(_ text: String, _ name: String) throws -> String {
        let path = files.appending(name)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("checkpoint, proof bundle, inclusion, consistency and audit --proofs round-trip through the CLI and the Python verifier")
    func roundTrip() async throws {
        let s = try await Scenario()
        let first = try s.engine.checkpoints.sign()
        let key = try authledger(["checkpoint", "--verifier-key"] + s.data)
        #expect(key.status == 0, "\(key.err)")
        #expect(key.out == s.engine.checkpoints.key.verifierKey + "\n")
        let keyFile = try write(key.out, "log.vkey")
        let note = try authledger(["checkpoint"] + s.data)
        #expect(note.out == first.note)
        let monday = try write(note.out, "monday.checkpoint")

        let bundle = try authledger(["proof", "bundle", "3"] + s.data)
        #expect(bundle.status == 0, "\(bundle.err)")
        let bundleFile = try write(bundle.out, "event-3.tlog-proof")
        let verified = try LogVerifier.verify(bundle: bundle.out, verifierKey: s.engine.checkpoints.key.verifierKey)
        #expect(verified.record == (try s.engine.log.record(at: 3)))
        let cli = try authledger(["proof", "verify", "--key-file", keyFile, bundleFile])
        #expect(cli.status == 0 && cli.out.contains("ok: position 3"), "\(cli.err)")
        let py = try pythonVerifier(["--key-file", keyFile, "bundle", bundleFile])
        #expect(py.status == 0 && py.out.contains("ok: position 3"), "\(py.err)")

        let inclusion = try authledger(["proof", "inclusion", "3"] + s.data)
        let hashes = inclusion.out.split(separator: "\n").map { SHA256Digest(bytes: Base64.decode($0)!)! }
        #expect(hashes == (try s.engine.log.inclusionProof(position: 3, size: first.checkpoint.size)))

        // A day later: more events, a newer checkpoint, and the proof that it extends Monday's.
        _ = try await s.engine.login(LoginRequest(user: "alice", device: Device(label: "iPad")))
        let tuesday = try s.engine.checkpoints.sign()
        let consistency = try authledger(["proof", "consistency", "--from", "\(first.checkpoint.size)"] + s.data)
        #expect(consistency.status == 0, "\(consistency.err)")
        let consistencyFile = try write(consistency.out, "tuesday.consistency")
        #expect(try authledger(["proof", "verify", "--key-file", keyFile, "--old", monday, consistencyFile]).status == 0)
        let pyConsistency = try pythonVerifier(["--key-file", keyFile, "consistency", monday, consistencyFile])
        #expect(pyConsistency.status == 0 && pyConsistency.out.contains("at \(tuesday.checkpoint.size) events extends \(first.checkpoint.size)"), "\(pyConsistency.err)")

        let history = try authledger(["audit", "alice", "--proofs"] + s.data)
        #expect(history.status == 0, "\(history.err)")
        let lines = history.out.split(separator: "\n")
        #expect(lines.count >= 10 && lines.allSatisfy { $0.contains("\"proof\":\"c2sp.org/tlog-proof@v1\\n") })
        let historyFile = try write(history.out, "alice.jsonl")
        let cliHistory = try authledger(["proof", "verify", "--key-file", keyFile, historyFile])
        #expect(cliHistory.status == 0 && cliHistory.out.contains("ok: \(lines.count) events"), "\(cliHistory.err)")
        let pyHistory = try pythonVerifier(["--key-file", keyFile, "history", historyFile])
        #expect(pyHistory.status == 0 && pyHistory.out.contains("ok: \(lines.count) events"), "\(pyHistory.err)")
        // A line that claims another position than its proof is caught.
        let position = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])["position"] as! Int
        let moved = history.out.replacingOccurrences(of: "\"position\":\(position),", with: "\"position\":\(position + 1),")
        #expect(moved != history.out)
        let movedFile = try write(moved, "moved.jsonl")
        #expect(try authledger(["proof", "verify", "--key-file", keyFile, movedFile]).status == 1)
        #expect(try pythonVerifier(["--key-file", keyFile, "history", movedFile]).status == 1)
    }

    @Test("checkpoint says how to get a first checkpoint; --sign signs one of the whole log (server stopped)")
    func signFromCLI() async throws {
        let s = try await Scenario()
        let head = s.engine.statistics.position
        try await s.engine.shutdown()
        // The scenario's engine signs at shutdown; start from a directory without a checkpoint.
        try? FileManager.default.removeItem(atPath: s.dir.appending("checkpoints/latest.note"))
        let none = try authledger(["checkpoint"] + s.data)
        #expect(none.status == 1 && none.err.contains("checkpoint --sign"), "\(none.err)")
        #expect(try authledger(["proof", "bundle", "1"] + s.data).status == 1)
        let signed = try authledger(["checkpoint", "--sign"] + s.data)
        #expect(signed.status == 0, "\(signed.err)")
        let key = try authledger(["checkpoint", "--verifier-key"] + s.data).out.trimmingCharacters(in: .newlines)
        let checkpoint = try LogVerifier.checkpoint(note: signed.out, verifierKey: key)
        #expect(checkpoint.size == head)
    }

    /// What each verifier says of a bundle (old nil) or a consistency proof from `old`.
    func verdicts(_ text: String, old: String? = nil, key: String) throws -> (swift: ProofError.Kind?, cli: Int32, python: Int32) {
        let file = try write(text, "proof-\(UUID().uuidString)")
        let swift: ProofError.Kind?
        do {
            if let old { _ = try LogVerifier.verify(consistency: text, old: old, verifierKey: key) } else { _ = try LogVerifier.verify(bundle: text, verifierKey: key) }
            swift = nil
        } catch { swift = error.kind }
        if let old {
            let oldFile = try write(old, "old-\(UUID().uuidString)")
            return (swift, try authledger(["proof", "verify", "--key", key, "--old", oldFile, file]).status,
                    try pythonVerifier(["--key", key, "consistency", oldFile, file]).status)
        }
        return (swift, try authledger(["proof", "verify", "--key", key, file]).status, try pythonVerifier(["--key", key, "bundle", file]).status)
    }

    @Test("a changed, removed or reordered record, a forked log and a rolled-back checkpoint are detected by every verifier",
          arguments: ["changed", "removed", "reordered", "forked", "rolled back"])
    func tampering(_ tampering: String) async throws {
        let origin = "audit.example/log"
        let signer = try Ed25519.SigningKey()
        let key = NoteKey(name: origin, publicKey: try signer.publicKey).verifierKey
        let ids = (1...40).map { "k\($0)" }
        let honest = try await KeyEventLog(ids)
        // What the auditor holds: the checkpoint at 30, and the bundle of the event at 10.
        let held = try honest.note(size: 30, key: signer, origin: origin)
        let heldBundle = try honest.log.proofBundle(position: 10, checkpoint: try honest.checkpoint(30), note: held).text
        let extension30to40 = try honest.log.consistencyBundle(from: 30, checkpoint: try honest.checkpoint(40),
                                                                note: try honest.note(size: 40, key: signer, origin: origin)).text
        // The honest artifacts pass everywhere, so a refusal below is the tampering's doing.
        #expect(try verdicts(heldBundle, key: key) == (nil, 0, 0))
        #expect(try verdicts(extension30to40, old: held, key: key) == (nil, 0, 0))

        // The operator holds the log key too (the worst case): what it signs is consistent
        // with itself, but not with what the auditor kept.
        var altered = ids
        switch tampering {
        case "changed": altered[9] = "k10-changed"
        case "removed": altered.remove(at: 9); altered.append("k41")
        case "reordered": altered.swapAt(9, 10)
        case "forked": for i in 20..<40 { altered[i] = "fork-\(i)" }
        default: break
        }
        if tampering == "rolled back" {
            let older = ConsistencyBundle(oldSize: 30, proof: [], checkpointNote: try honest.note(size: 20, key: signer, origin: origin)).text
            let v = try verdicts(older, old: held, key: key)
            #expect(v.swift == .rolledBack && v.cli == 1 && v.python == 1)
            return
        }
        let forged = try await KeyEventLog(altered)
        let forged30 = try forged.note(size: 30, key: signer, origin: origin)
        let forged40 = try forged.note(size: 40, key: signer, origin: origin)
        // Its newer checkpoint does not extend the one the auditor holds...
        let consistency = try forged.log.consistencyBundle(from: 30, checkpoint: try forged.checkpoint(40), note: forged40).text
        let v1 = try verdicts(consistency, old: held, key: key)
        #expect(v1.swift == .inconsistent && v1.cli == 1 && v1.python == 1)
        // ...nor does its checkpoint of the same size...
        let same = ConsistencyBundle(oldSize: 30, proof: [], checkpointNote: forged30).text
        let v2 = try verdicts(same, old: held, key: key)
        #expect(v2.swift == .inconsistent && v2.cli == 1 && v2.python == 1)
        // ...and its record at 10, proved in its own tree, is not in the tree the auditor holds.
        if tampering != "forked" {
            let bundle = try forged.log.proofBundle(position: 10, checkpoint: try forged.checkpoint(30), note: held).text
            let v3 = try verdicts(bundle, key: key)
            #expect(v3.swift == .notIncluded && v3.cli == 1 && v3.python == 1)
        }
    }
}
