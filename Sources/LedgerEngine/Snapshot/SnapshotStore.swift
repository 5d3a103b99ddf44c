import Glibc
import LedgerCrypto
import LedgerLog

/// A snapshot file on disk.
public struct SnapshotInfo: Sendable, Equatable {
    public let path: String
    /// The log position the snapshot corresponds to.
    public let position: UInt64
    public let bytes: Int
}

/// The snapshots of a data directory (`DATA/snapshots/snapshot-<position>.alsnap`), written
/// atomically and pruned to a configurable count.
public struct SnapshotStore: Sendable {
    public let directory: String

    public init(dataDirectory: String) { directory = dataDirectory + "/snapshots" }

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

    /// Writes `projection` as the snapshot for its position: temporary file, fsync, rename,
    /// fsync of the directory. Then keeps only the newest `keep` snapshots.
    @discardableResult
    public func write(_ projection: SessionProjection, chainHash: SHA256Digest, keep: Int = 3) throws -> SnapshotInfo {
        try SecretFiles.ensureDirectory(directory)
        let bytes = SnapshotCodec.encode(projection.state, chainHash: chainHash)
        let name = "snapshot-" + String(format20: projection.position) + ".alsnap"
        try SecretFiles.write(bytes, to: directory + "/" + name)
        prune(keep: keep)
        return SnapshotInfo(path: directory + "/" + name, position: projection.position, bytes: bytes.count)
    }

    /// Deletes all but the newest `keep` snapshots.
    public func prune(keep: Int) {
        for old in list().dropFirst(max(keep, 1)) { unlink(old.path) }
    }

    /// Loads a snapshot and checks it against `log`: checksum, format, and that the log holds
    /// a record at the snapshot's position with the snapshot's chain hash. Throws rather than
    /// return anything it has not checked.
    public func load(_ info: SnapshotInfo, matching log: EventLog) throws -> SessionProjection {
        let bytes = try SecretFiles.readAny(info.path)
        let (header, projection) = try SnapshotCodec.decode(bytes)
        guard header.position == info.position else {
            throw SnapshotError("the file name says position \(info.position) but the snapshot holds \(header.position)")
        }
        guard header.position > 0 else { return SessionProjection(projection) }
        guard let record = try log.record(at: header.position) else {
            throw SnapshotError("the log ends before position \(header.position); the snapshot is from another or a longer log")
        }
        guard record.chainHash == header.chainHash else {
            throw SnapshotError("the log's chain hash at position \(header.position) differs from the snapshot's: it belongs to another history")
        }
        return SessionProjection(projection)
    }

    /// The newest snapshot that loads and matches `log`; each one skipped is reported with why.
    public func newestValid(matching log: EventLog, warning: (String) -> Void) -> SessionProjection? {
        for info in list() {
            do { return try load(info, matching: log) } catch {
                warning("skipping snapshot \(info.path): \(error)")
            }
        }
        return nil
    }
}

extension String {
    /// A position padded to 20 digits, so file names sort by position.
    init(format20 value: UInt64) {
        let digits = String(value)
        self = String(repeating: "0", count: Swift.max(0, 20 - digits.count)) + digits
    }
}

extension SecretFiles {
    /// Reads a file whatever its mode (snapshots hold no secrets).
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
