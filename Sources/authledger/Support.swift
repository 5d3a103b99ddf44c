import ArgumentParser
import Foundation
import LedgerEngine
import LedgerCodec
import LedgerLog

/// A failure the user can act on; printed as `Error: …` with exit code 1. Values from
/// outside are quoted where the message is built; control characters that slipped in
/// anyway are escaped here, so no message can drive the terminal.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = TextEscaping.escapingControls(description) }
}

extension DataDirectoryOption {
    /// Opens the log read-only (works beside a running server), with errors that say what to do.
    func openLogReadOnly() throws -> EventLog {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CLIError("data directory \(path) does not exist; pass --data-dir DIR or set AUTHLEDGER_DATA_DIR")
        }
        guard isDirectory.boolValue else { throw CLIError("\(path) is not a directory") }
        guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
            throw CLIError("\(path) holds no AuthLedger log (no data.mdb); run the server or `authledger demo` there first")
        }
        var config = LogConfiguration()
        config.readOnly = true
        do { return try EventLog(directory: path, configuration: config) } catch { throw CLIError("\(error)") }
    }

    /// Opens the engine (takes the writer lock), for commands that append.
    func openEngine(_ configuration: EngineConfiguration = EngineConfiguration()) async throws -> AuthEngine {
        do { return try await AuthEngine.open(dataDirectory: path, configuration: configuration) } catch let e as LogError {
            throw CLIError("\(e)")
        } catch let e as EngineError {
            throw CLIError(e.message)
        }
    }
}

/// Progress on a terminal (stderr), silence when piped.
struct Progress {
    let label: String
    let total: UInt64
    let started = Date()
    static let enabled = isatty(2) != 0

    func update(_ done: UInt64) {
        guard Self.enabled else { return }
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        var line = "\r\(label): \(done)/\(total) events, \(Int(rate))/s"
        if rate > 0 && total > done { line += ", \(Int(Double(total - done) / rate)) s left" }
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard Self.enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1b}[K".utf8))
    }
}

/// Parses `2026-11-29T04:17:47Z` (fraction and offset optional) or Unix seconds.
func parseTime(_ text: String) throws -> Timestamp {
    if let seconds = Int64(text) { return Timestamp(seconds: seconds) }
    let formats = ["yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXXXX", "yyyy-MM-dd'T'HH:mm:ssXXXXX", "yyyy-MM-dd'T'HH:mm:ss.SSSXXXXX", "yyyy-MM-dd"]
    for format in formats {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = format
        if let d = f.date(from: text) { return Timestamp(microseconds: Int64((d.timeIntervalSince1970 * 1e6).rounded())) }
    }
    throw CLIError("cannot read time \(TextEscaping.quoted(text)); use RFC 3339 (2026-11-29T04:17:47Z) or Unix seconds")
}

/// Prints a warning to standard error, as one line with control characters escaped.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("warning: \(TextEscaping.escapingControls(message))\n".utf8))
}

/// Prints a line to standard output. Values from outside are quoted by the caller
/// (``TextEscaping/quoted(_:)``); escaping control characters here as well keeps any
/// the caller missed from ending the line or reaching the terminal.
func emit(_ line: String) {
    FileHandle.standardOutput.write(Data((TextEscaping.escapingControls(line) + "\n").utf8))
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// The data directory's personal-data reader, or nil (with a warning) when its keys cannot
/// be read: the events are then printed with their sealed fields as `(encrypted)`.
func personalData(_ dataDirectory: String, _ log: EventLog) -> PersonalDataReader? {
    do { return try PersonalDataReader.open(dataDirectory: dataDirectory, log: log) } catch {
        warn("personal fields are shown as (encrypted): \(error)")
        return nil
    }
}
