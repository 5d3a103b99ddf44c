import ArgumentParser
import Foundation
import LedgerEngine
import LedgerCodec
import LedgerLog

struct RebuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rebuild",
        abstract: "Rebuild the projections from the log and report the rate and the digest.",
        discussion: """
            Replays every event from scratch (or, with --from-snapshot, from the newest valid \
            snapshot) through the engine's own code path, in memory, and prints events per \
            second and the projection digest. Two rebuilds of the same log print the same digest. \
            With --write-snapshot the result is saved as a snapshot. Works while the server runs.
            """
    )

    @OptionGroup var data: DataDirectoryOption
    @Flag(help: "Start from the newest valid snapshot instead of from scratch.") var fromSnapshot = false
    @Flag(help: "Save the rebuilt projection as a snapshot.") var writeSnapshot = false

    func run() throws {
        let log = try data.openLogReadOnly()
        let head = try log.head()
        // Writing needs the snapshot key, so it is created if missing; reading never creates it.
        let store = writeSnapshot ? SnapshotStore.forWriting(dataDirectory: data.path) : SnapshotStore.forReading(dataDirectory: data.path)
        var projection = SessionProjection()
        if fromSnapshot {
            if let snap = store.newestValid(matching: log, warning: warn) {
                projection = snap
                emit("starting from the snapshot at position \(snap.position)")
            } else {
                emit("no valid snapshot; rebuilding from scratch")
            }
        }
        let progress = Progress(label: "rebuild", total: head.position)
        let start = Date()
        let applied = try projection.advance(in: log, progress: progress.update)
        progress.finish()
        let seconds = Date().timeIntervalSince(start)
        let stats = projection.statistics
        emit("rebuilt \(applied) events (through position \(projection.position)) in \(String(format: "%.3f", seconds)) s: \(Int(Double(applied) / max(seconds, 1e-9))) events/s")
        emit("sessions=\(stats.sessions) users=\(stats.users) revoked-remembered=\(stats.revokedRemembered)")
        emit("digest \(projection.digest.hex)")
        if writeSnapshot {
            let hash = try log.record(at: projection.position)?.chainHash ?? .zero
            let info = try store.write(projection, chainHash: hash)
            emit("snapshot written: \(info.path) (\(info.bytes) bytes)")
        }
    }
}

struct SnapshotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "snapshot",
        abstract: "Create, list and verify projection snapshots.",
        subcommands: [Create.self, List.self, Verify.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rebuild from the log (or the newest snapshot) and write a snapshot.")
        @OptionGroup var data: DataDirectoryOption
        @Option(help: "Keep this many snapshots; older ones are deleted.") var keep = 3

        func run() throws {
            let log = try data.openLogReadOnly()
            let store = SnapshotStore.forWriting(dataDirectory: data.path)
            var projection = store.newestValid(matching: log, warning: warn)
                ?? SessionProjection()
            let progress = Progress(label: "replay", total: try log.head().position)
            try projection.advance(in: log, progress: progress.update)
            progress.finish()
            let hash = try log.record(at: projection.position)?.chainHash ?? .zero
            let info = try store.write(projection, chainHash: hash, keep: keep)
            emit("snapshot at position \(info.position): \(info.path) (\(info.bytes) bytes), digest \(projection.digest.hex)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List snapshots, newest first.")
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let snapshots = SnapshotStore.forReading(dataDirectory: data.path).list()
            if snapshots.isEmpty { emit("no snapshots in \(data.path)/snapshots") }
            for s in snapshots { emit("position \(s.position)  \(s.bytes) bytes  \(s.path)") }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check each snapshot: format, MAC, structure, match with the log, and a from-scratch rebuild to its position gives the same digest.",
            discussion: """
                Prints one line per snapshot: position, size and its state: ok, old format, \
                MAC mismatch, malformed: why, log too short, chain hash differs from the log, \
                digest differs from a rebuild, or key unavailable (the snapshot key in keys/ \
                cannot be read by this user). Exits 0 only if every snapshot is ok.
                """)
        @OptionGroup var data: DataDirectoryOption

        func run() throws {
            let log = try data.openLogReadOnly()
            let store = SnapshotStore.forReading(dataDirectory: data.path)
            let snapshots = store.list()
            if snapshots.isEmpty { emit("no snapshots in \(data.path)/snapshots") }
            if let e = store.keyError, !snapshots.isEmpty { warn("no snapshot can be checked: \(e)") }
            var failed = 0
            for info in snapshots {
                let state: String
                do {
                    let snap = try store.load(info, matching: log)
                    var rebuilt = SessionProjection()
                    try rebuilt.advance(in: log, through: info.position)
                    state = rebuilt.digest == snap.digest
                        ? "ok"
                        : "digest differs from a rebuild: snapshot \(snap.digest.hex), rebuilt \(rebuilt.digest.hex)"
                } catch let e as SnapshotError {
                    state = e.kind == .malformed || e.kind == .unreadable ? "\(e.kind): \(e.reason)" : "\(e.kind)"
                }
                if state != "ok" { failed += 1 }
                emit("position \(info.position)  \(info.bytes) bytes  \(state)")
            }
            if failed > 0 { throw ExitCode(1) }
        }
    }
}
