import ArgumentParser
import Foundation
import LedgerEngine
import LedgerCodec
import LedgerLog

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Events by type, users, active sessions, log size on disk, newest snapshot.")

    @OptionGroup var data: DataDirectoryOption

    func run() throws {
        let log = try data.openLogReadOnly()
        let stats = try log.statistics()
        var byType: [UInt8: Int] = [:]
        let progress = Progress(label: "count", total: try log.head().position)
        try log.scan { view in
            byType[view.type, default: 0] += 1
            if view.position % 1_000_000 == 0 { progress.update(view.position) }
            return true
        }
        progress.finish()
        let store = SnapshotStore.forReading(dataDirectory: data.path)
        var projection = store.newestValid(matching: log, warning: warn) ?? SessionProjection()
        try projection.advance(in: log)
        emit("events: \(stats.records)")
        for (code, n) in byType.sorted(by: { $0.key < $1.key }) {
            emit("  \((EventType(rawValue: code)?.description ?? "unknown type \(code)").padding(toLength: 24, withPad: " ", startingAt: 0)) \(n)")
        }
        emit("users: \(try log.userCount())")
        emit("active sessions: \(projection.activeSessionCount(at: SystemClock().now()))")
        emit("log on disk: \(stats.fileBytes) bytes (data.mdb), \(stats.usedBytes) in use, map \(stats.mapBytes) bytes")
        if let newest = store.list().first {
            emit("newest snapshot: position \(newest.position), \(newest.bytes) bytes, \(newest.path)")
        } else {
            emit("newest snapshot: none")
        }
    }
}

struct JWKSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jwks",
        abstract: "Print the JWKS (public keys) as recorded in the log.",
        discussion: "Example: authledger jwks > jwks.json; authledger token verify TOKEN --jwks jwks.json")

    @OptionGroup var data: DataDirectoryOption

    func run() throws {
        let log = try data.openLogReadOnly()
        emit(try KeyState.replay(log).jwks.document.serialized)
    }
}
