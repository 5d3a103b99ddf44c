import ArgumentParser
import Foundation
import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerLog

struct ProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proof",
        abstract: "Prove events are in the log and that it was only appended to; verify such proofs offline.",
        discussion: """
            inclusion, consistency and bundle read the data directory (beside a running \
            server, too) and prove against the latest signed checkpoint unless told a size. \
            verify needs no data directory: only the proofs, the checkpoints and the log's \
            verifier key (authledger checkpoint --verifier-key). See docs/PROOFS.md.

            Example: authledger proof bundle 42 > event-42.tlog-proof; \
            authledger proof verify --key-file log.vkey event-42.tlog-proof
            """,
        subcommands: [InclusionProofCommand.self, ConsistencyProofCommand.self, BundleProofCommand.self, VerifyProofCommand.self])
}

struct InclusionProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inclusion",
        abstract: "Print the RFC 9162 inclusion proof of the event at a position, one base64 hash per line.")

    @OptionGroup var data: DataDirectoryOption
    @Argument(help: "The event's log position (1, 2, …).") var position: UInt64
    @Option(help: "The tree size to prove against (default: the latest checkpoint's).") var size: UInt64?

    func run() throws {
        let log = try data.openLogReadOnly()
        let size = try size ?? data.requireCheckpoint().checkpoint.size
        do {
            for hash in try log.inclusionProof(position: position, size: size) { emit(Base64.encode(hash.bytes)) }
        } catch { throw CLIError("\(error)") }
    }
}

struct ConsistencyProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Prove that the log of one size extends the log of an older size.",
        discussion: """
            Without --to: the proof from --from to the latest signed checkpoint, with that \
            checkpoint (old <size>, the hashes, a blank line, the checkpoint), ready for \
            `authledger proof verify --old OLDER.checkpoint`. With --to: the RFC 9162 proof \
            alone, one base64 hash per line.
            """)

    @OptionGroup var data: DataDirectoryOption
    @Option(help: "The older tree size (an older checkpoint's size).") var from: UInt64
    @Option(help: "The newer tree size (default: the latest checkpoint, printed with the proof).") var to: UInt64?

    func run() throws {
        let log = try data.openLogReadOnly()
        do {
            if let to {
                for hash in try log.consistencyProof(from: from, to: to) { emit(Base64.encode(hash.bytes)) }
            } else {
                let latest = try data.requireCheckpoint()
                guard from >= 1, from <= latest.checkpoint.size else {
                    throw CLIError("--from must be a size from 1 to \(latest.checkpoint.size), the latest checkpoint's")
                }
                print(try log.consistencyBundle(from: from, checkpoint: latest.checkpoint, note: latest.note).text, terminator: "")
            }
        } catch let e as CLIError { throw e } catch { throw CLIError("\(error)") }
    }
}

struct BundleProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle",
        abstract: "Print the C2SP tlog-proof bundle of the event at a position: the record, its proof, the checkpoint.")

    @OptionGroup var data: DataDirectoryOption
    @Argument(help: "The event's log position (1, 2, …).") var position: UInt64

    func run() throws {
        let log = try data.openLogReadOnly()
        let latest = try data.requireCheckpoint()
        do { print(try log.proofBundle(position: position, checkpoint: latest.checkpoint, note: latest.note).text, terminator: "") } catch {
            throw CLIError("\(error)")
        }
    }
}

struct VerifyProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check proofs offline against the log's verifier key: bundles, a history, or a consistency proof.",
        discussion: """
            Needs no data directory. Each FILE is a tlog-proof bundle (authledger proof bundle) \
            or a history with proofs (authledger audit USER --proofs: one JSON object per line). \
            With --old, FILE is a consistency proof (authledger proof consistency --from N) \
            checked against the older checkpoint. Exits 1 at the first proof that fails, saying why.

            Example: authledger proof verify --key-file log.vkey --old monday.checkpoint tuesday.consistency
            """)

    @Option(help: "The log's note verifier key (origin+keyid+base64).") var key: String?
    @Option(help: "A file holding the verifier key.") var keyFile: String?
    @Option(help: "The older signed checkpoint: FILE is then a consistency proof to a newer one.") var old: String?
    @Argument(help: "Proof files (- for standard input).") var files: [String]

    func validate() throws {
        guard (key == nil) != (keyFile == nil) else { throw ValidationError("give the verifier key with --key or --key-file") }
        guard !files.isEmpty else { throw ValidationError("give at least one proof file") }
    }

    func run() throws {
        let verifierKey = try (key ?? read(keyFile!)).trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            if let old {
                let older = try read(old)
                for file in files {
                    let (from, to) = try LogVerifier.verify(consistency: try read(file), old: older, verifierKey: verifierKey)
                    emit("ok: \(to.origin) at \(to.size) events extends \(from.size) events (\(file))")
                }
                return
            }
            for file in files {
                let text = try read(file)
                if text.hasPrefix(ProofBundle.header) {
                    report(try LogVerifier.verify(bundle: text, verifierKey: verifierKey), file)
                } else {
                    try verifyHistory(text, file, verifierKey)
                }
            }
        } catch let e as ProofError {
            throw CLIError("FAILED (\(e.kind)): \(e.message)")
        }
    }

    /// One JSON object per line, each with `position` and `proof` (a tlog-proof bundle).
    private func verifyHistory(_ text: String, _ file: String, _ verifierKey: String) throws {
        var count = 0
        for (n, line) in text.split(separator: "\n").enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let position = object["position"] as? Int, let proof = object["proof"] as? String else {
                throw CLIError("\(file) line \(n + 1) is neither a tlog-proof nor a JSON event with position and proof")
            }
            let verified = try LogVerifier.verify(bundle: proof, verifierKey: verifierKey)
            guard verified.record.position == UInt64(position) else {
                throw ProofError(.notIncluded, "\(file) line \(n + 1) says position \(position), but its proof is for position \(verified.record.position)")
            }
            if let type = object["type"] as? String, let event = verified.event, event.event.type.description != type {
                throw ProofError(.notIncluded, "\(file) line \(n + 1) says \(type), but the proved record is \(event.event.type)")
            }
            count += 1
        }
        emit("ok: \(count) events of \(file) proved in the log")
    }

    private func report(_ verified: VerifiedEvent, _ file: String) {
        let what = verified.event.map { "\($0.event.type) at \($0.timestamp)" } ?? "a record of type \(verified.record.type)"
        emit("ok: position \(verified.record.position) (\(what)) is in \(verified.checkpoint.origin) at \(verified.checkpoint.size) events (\(file))")
    }

    private func read(_ path: String) throws -> String {
        if path == "-" { return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) }
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read \(path)") }
        return String(decoding: data, as: UTF8.self)
    }
}
