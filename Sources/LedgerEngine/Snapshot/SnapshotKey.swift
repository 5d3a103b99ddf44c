import Glibc
import LedgerCrypto

/// The key that authenticates snapshots (HMAC-SHA-256): 32 random bytes in
/// `DATA/keys/snapshot.key`, owner-only like the other keys. Whoever can write
/// `snapshots/` but not read `keys/` cannot make the engine start from a state of their
/// choosing.
public struct SnapshotKey: Sendable {
    let mac: HMACSHA256

    public static let byteCount = 32

    /// Where the key of `dataDirectory` lives.
    public static func path(dataDirectory: String) -> String { dataDirectory + "/keys/snapshot.key" }

    init(bytes: [UInt8], path: String) throws(SnapshotError) {
        guard bytes.count == Self.byteCount, let mac = try? HMACSHA256(key: bytes) else {
            throw SnapshotError(.keyUnavailable, "\(path) holds \(bytes.count) bytes, not a \(Self.byteCount)-byte snapshot key; delete it and restart the engine to create a new one (existing snapshots are then replayed over)")
        }
        self.mac = mac
    }

    /// Reads the key, for tools that only read the data directory.
    public static func read(dataDirectory: String) throws(SnapshotError) -> SnapshotKey {
        let path = path(dataDirectory: dataDirectory)
        var st = stat()
        if lstat(path, &st) != 0 {
            let reason = errno == ENOENT
                ? "there is no snapshot key (\(path)); the engine creates one when it starts"
                : "cannot read the snapshot key \(path): \(String(cString: strerror(errno))); run as the data directory's owner"
            throw SnapshotError(.keyUnavailable, reason)
        }
        let bytes: [UInt8]
        do { bytes = try SecretFiles.read(path) } catch {
            throw SnapshotError(.keyUnavailable, "cannot read the snapshot key: \(error); run as the data directory's owner")
        }
        return try SnapshotKey(bytes: bytes, path: path)
    }

    /// Reads the key, creating it first if there is none: for the engine and for commands
    /// that write snapshots. A key created here makes older snapshots fail their MAC, so
    /// they are replayed over rather than trusted.
    public static func readOrCreate(dataDirectory: String) throws(SnapshotError) -> SnapshotKey {
        let path = path(dataDirectory: dataDirectory)
        var st = stat()
        if lstat(path, &st) != 0 && errno == ENOENT {
            do {
                try SecretFiles.ensureDirectory(dataDirectory + "/keys")
                try SecretFiles.write(HMACSHA256.generateKey(), to: path)
            } catch {
                throw SnapshotError(.keyUnavailable, "cannot create the snapshot key: \(error)")
            }
        }
        // Read back rather than keep the bytes generated: if two processes created a key at
        // once, both then use the one that won the rename.
        return try read(dataDirectory: dataDirectory)
    }
}
