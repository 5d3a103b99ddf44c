import Glibc
import LedgerCrypto
import LedgerCodec
import LedgerLog
import Logging

/// A snapshot file on disk.
public struct SnapshotInfo: Sendable, Equatable {
    public let path: String
    /// The log position the snapshot corresponds to.
    public let position: UInt64
    public let bytes: Int
}

/// The snapshots of a data directory (`DATA/snapshots/snapshot-<position>.alsnap`), written
/// atomically, authenticated with the data directory's ``SnapshotKey`` and pruned to a
/// configurable count.
public struct SnapshotStore: Sendable {
    public let directory: String
    private let key: Result<SnapshotKey, SnapshotError>

    /// A store that loads and writes snapshots under `key`.
    public init(dataDirectory: String, key: SnapshotKey) {
        directory = dataDirectory + "/snapshots"
        self.key = .success(key)
    }

    private init(dataDirectory: String, key: Result<SnapshotKey, SnapshotError>) {
        directory = dataDirectory + "/snapshots"
        self.key = key
    }

    /// For tools that only read: the key is read, never created. Without it (missing, or
    /// not readable by this user) nothing loads, and ``keyError`` says why.
    public static func forReading(dataDirectory: String) -> SnapshotStore {
        SnapshotStore(dataDirectory: dataDirectory, key: Result { () throws(SnapshotError) in try SnapshotKey.read(dataDirectory: dataDirectory) })
    }

    /// For the engine and for commands that write snapshots: the key is created if missing.
    public static func forWriting(dataDirectory: String) -> SnapshotStore {
        SnapshotStore(dataDirectory: dataDirectory, key: Result { () throws(SnapshotError) in try SnapshotKey.readOrCreate(dataDirectory: dataDirectory) })
    }

    /// Why no snapshot can be loaded or written, if the key is unavailable.
    public var keyError: SnapshotError? {
        if case let .failure(e) = key { e } else { nil }
    }

    /// Snapshots on disk, newest (highest position) first. Unreadable names are ignored.
    public func list() -> [SnapshotInfo] {
        SecretFiles.list(directory).compactMap { name -> SnapshotInfo? in
            guard name.hasPrefix("snapshot-"), name.hasSuffix(".alsnap"),
                  let position = UInt64(name.dropFirst(9).dropLast(7)) else { return nil }
            var st = stat()
            let path = directory + "/" + name
            guard stat(path, &st) == 0 else { return nil }
            return SnapshotInfo(path: path, position: position, bytes: Int(st.st_size))
        }.sorted { $0.position > $1.position }
    }

    /// Writes `projection` as the snapshot for its position: a temporary file of its own,
    /// fsync, rename, fsync of the directory. Then keeps only the newest `keep` snapshots.
    ///
    /// Two writers of the same position (a scheduled snapshot and one asked for) both
    /// succeed: each writes its own temporary file, and the second rename replaces the
    /// first with an equal state.
    @discardableResult
    public func write(_ projection: SessionProjection, chainHash: SHA256Digest, keep: Int = 3) throws -> SnapshotInfo {
        let key = try self.key.get()
        try SecretFiles.ensureDirectory(directory)
        let bytes = SnapshotCodec.encode(projection.state, chainHash: chainHash, key: key)
        let path = directory + "/snapshot-" + String(format20: projection.position) + ".alsnap"
        try Self.writeAtomically(bytes, to: path)
        prune(keep: keep)
        return SnapshotInfo(path: path, position: projection.position, bytes: bytes.count)
    }

    /// The marker of a temporary file: `snapshot-<position>.alsnap.tmp-<random>`.
    static let temporaryMarker = ".alsnap.tmp-"

    private static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temp = path + ".tmp-" + SecureRandom.bytes(8).map { String($0, radix: 16).leftPadded(2) }.joined()
        // O_EXCL | O_NOFOLLOW: the name is new and ours, never a file or a link planted there.
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SnapshotWriteError(path: temp, step: "create", errno: errno) }
        var failure: SnapshotWriteError?
        var written = 0
        while failure == nil && written < bytes.count {
            let n = bytes.withUnsafeBytes { b in b.baseAddress.map { Glibc.write(fd, $0 + written, b.count - written) } ?? 0 }
            if n > 0 { written += n } else if n < 0 && errno == EINTR { continue } else { failure = SnapshotWriteError(path: temp, step: "write", errno: errno) }
        }
        if failure == nil && fsync(fd) != 0 { failure = SnapshotWriteError(path: temp, step: "fsync", errno: errno) }
        if close(fd) != 0 && failure == nil { failure = SnapshotWriteError(path: temp, step: "close", errno: errno) }
        if failure == nil && rename(temp, path) != 0 { failure = SnapshotWriteError(path: path, step: "rename into place", errno: errno) }
        if let failure {
            unlink(temp)
            throw failure
        }
        // The rename is durable only once the directory is: without this a crash could
        // leave the old directory entry.
        let dfd = open(String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)]), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }

    /// Removes temporary files that a crash left behind (a writer that finishes removes
    /// its own, or renames it). Called by the engine at start-up.
    /// - Returns: the names removed.
    @discardableResult
    public func removeTemporaryFiles() -> [String] {
        let leftovers = SecretFiles.list(directory).filter { $0.hasPrefix("snapshot-") && $0.contains(Self.temporaryMarker) }
        for name in leftovers { unlink(directory + "/" + name) }
        return leftovers
    }

    /// Deletes all but the newest `keep` snapshots.
    public func prune(keep: Int) {
        for old in list().dropFirst(max(keep, 1)) { unlink(old.path) }
    }

    /// Loads a snapshot and checks it against `log`: format, MAC, structure, and that the
    /// log holds a record at the snapshot's position with the snapshot's chain hash. Throws
    /// a ``SnapshotError`` rather than return anything it has not checked.
    public func load(_ info: SnapshotInfo, matching log: EventLog) throws(SnapshotError) -> SessionProjection {
        let key = try self.key.get()
        let bytes: [UInt8]
        do { bytes = try SecretFiles.readAny(info.path) } catch { throw SnapshotError(.unreadable, "\(error)") }
        let (header, projection) = try SnapshotCodec.decode(bytes, key: key)
        guard header.position == info.position else {
            throw SnapshotError(.malformed, "the file name says position \(info.position) but the snapshot holds \(header.position)")
        }
        guard header.position > 0 else { return SessionProjection(projection) }
        let record: EventRecord?
        do { record = try log.record(at: header.position) } catch {
            throw SnapshotError(.unreadable, "the log cannot be read at position \(header.position): \(error)")
        }
        guard let record else {
            throw SnapshotError(.logTooShort, "the log ends before position \(header.position); the snapshot is from another or a longer log")
        }
        guard record.chainHash == header.chainHash else {
            throw SnapshotError(.chainMismatch, "the log's chain hash at position \(header.position) differs from the snapshot's: it belongs to another history")
        }
        var p = projection
        p.chainHash = header.chainHash
        return SessionProjection(p)
    }

    /// The newest snapshot that loads and matches `log`; each one skipped is reported with
    /// why, and so is a key that cannot be read (then the caller replays the whole log).
    public func newestValid(matching log: EventLog, warning: (String) -> Void) -> SessionProjection? {
        if let keyError {
            warning("not using snapshots: \(keyError); replaying the log instead")
            return nil
        }
        for info in list() {
            do { return try load(info, matching: log) } catch {
                warning("skipping snapshot \(info.path): \(error)")
            }
        }
        return nil
    }
}

/// A snapshot file could not be written; nothing was replaced.
public struct SnapshotWriteError: Error, Sendable, CustomStringConvertible {
    public let path: String
    public let step: String
    public let errno: Int32

    public var description: String {
        "cannot write the snapshot \(path) (\(step)): \(String(cString: strerror(errno))); check that the data directory's snapshots/ is writable and the disk has room"
    }
}

extension SnapshotStore {
    /// The engine's store: the key read or created (a failure is logged, and start-up then
    /// replays the whole log), and temporary files from a crash removed.
    static func forEngine(dataDirectory: String, logger: Logger) -> SnapshotStore {
        let store = forWriting(dataDirectory: dataDirectory)
        if let e = store.keyError { logger.error("snapshots are neither used nor written: \(e)") }
        for name in store.removeTemporaryFiles() { logger.notice("removed a temporary snapshot file left by a crash", metadata: ["name": "\(name)"]) }
        return store
    }
}

extension String {
    /// A position padded to 20 digits, so file names sort by position.
    init(format20 value: UInt64) {
        self = String(value).leftPadded(20)
    }

    func leftPadded(_ width: Int) -> String {
        String(repeating: "0", count: Swift.max(0, width - count)) + self
    }
}

extension SecretFiles {
    /// Reads a file whatever its mode (a snapshot is authenticated by its MAC, not its mode).
    static func readAny(_ path: String) throws -> [UInt8] {
        guard let f = fopen(path, "rb") else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        fseek(f, 0, SEEK_END)
        let size = ftell(f)
        fseek(f, 0, SEEK_SET)
        guard size >= 0 else { throw Failure(description: "cannot size \(path)") }
        var out = [UInt8](repeating: 0, count: size)
        let n = out.withUnsafeMutableBytes { fread($0.baseAddress, 1, size, f) }
        guard n == size else { throw Failure(description: "short read of \(path)") }
        return out
    }
}
