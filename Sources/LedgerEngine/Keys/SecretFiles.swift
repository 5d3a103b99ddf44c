import Glibc
import LedgerCrypto

/// Writes and reads small secret files (private keys) with owner-only permissions,
/// atomically: a reader never sees half a key, and a crash never leaves one.
///
/// No call follows a symbolic link at the file it opens: the engine and the command-line
/// tool may run as root, and a link planted in the data directory must not make them
/// write (or read a key from) a file somewhere else.
enum SecretFiles {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Creates `directory` with mode 0700 if it does not exist.
    static func ensureDirectory(_ directory: String) throws {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw Failure(description: "cannot create \(directory): \(String(cString: strerror(errno)))")
        }
    }

    /// Why files kept in `directory` could be planted, swapped or redirected by someone
    /// else, or nil when it is safe (or does not exist yet: it is then created owner-only).
    static func unsafety(ofDirectory directory: String) -> String? {
        var st = stat()
        guard lstat(directory, &st) == 0 else {
            return errno == ENOENT ? nil : "\(directory) cannot be inspected: \(String(cString: strerror(errno)))"
        }
        switch st.st_mode & S_IFMT {
        case S_IFLNK:
            return "\(directory) is a symbolic link; AuthLedger keeps keys and snapshots only in a real directory of the data directory: replace the link with a directory (mkdir -m 700 \(directory))"
        case S_IFDIR:
            break
        default:
            return "\(directory) is not a directory; move it away (AuthLedger creates the directory, mode 700)"
        }
        if st.st_uid != geteuid() {
            return "\(directory) belongs to uid \(st.st_uid), not to uid \(geteuid()) that runs AuthLedger: chown \(geteuid()) \(directory) (and check who changed it)"
        }
        if st.st_mode & 0o022 != 0 {
            return "\(directory) is writable by group or others (mode \(String(st.st_mode & 0o7777, radix: 8))), so they could plant or replace files in it: chmod 700 \(directory)"
        }
        return nil
    }

    /// Refuses to keep files in `directory` when ``unsafety(ofDirectory:)`` finds a reason.
    static func requireSafeDirectory(_ directory: String) throws(EngineError) {
        if let why = unsafety(ofDirectory: directory) { throw EngineError(.unsafeDirectory(path: directory), why) }
    }

    /// Writes `bytes` to `path` with mode 0600: a new temporary file, fsync, rename, fsync of
    /// the directory. The temporary file has an unpredictable name and is created
    /// exclusively, so nothing planted in advance can receive the bytes.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let temp = path + ".tmp-" + SecureRandom.bytes(8).hexString
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Failure(description: "cannot create \(temp): \(String(cString: strerror(errno)))") }
        var ok = fchmod(fd, 0o600) == 0
        ok = ok && writeAll(bytes, to: fd)
        ok = ok && fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        close(fd)
        guard ok else {
            unlink(temp)
            throw Failure(description: "cannot write \(path): \(reason)")
        }
        // rename replaces whatever is at `path` (a link included) rather than writing through it.
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw Failure(description: "cannot write \(path): \(reason)")
        }
        try syncDirectory(of: path)
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + done, buffer.count - done)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
    }

    static func syncDirectory(of path: String) throws {
        let dir = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard dfd >= 0 else { throw Failure(description: "cannot open \(dir) to sync it") }
        defer { close(dfd) }
        _ = fsync(dfd)
    }

    /// The file's bytes, refusing files that others can read: a private key readable by
    /// the world is a key that must be considered leaked.
    static func read(_ path: String) throws -> [UInt8] {
        guard let bytes = try readIfPresent(path) else {
            throw Failure(description: "cannot read \(path): \(String(cString: strerror(ENOENT)))")
        }
        return bytes
    }

    /// Like ``read(_:)``, but nil when nothing is at `path`, the one case in which a caller
    /// may create a key. Mode and type are checked on the open descriptor, so the file
    /// checked is the file read.
    static func readIfPresent(_ path: String) throws -> [UInt8]? {
        // O_NONBLOCK: a FIFO planted here must not hang start-up; it is refused below.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            switch errno {
            case ENOENT: return nil
            case ELOOP: throw Failure(description: "\(path) is a symbolic link; AuthLedger reads keys only from regular files in its keys directory: put the file itself there")
            default: throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))")
            }
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw Failure(description: "cannot inspect \(path): \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw Failure(description: "\(path) is not a regular file; put the key file itself there")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw Failure(description: "\(path) is readable by group or others (mode \(String(st.st_mode & 0o777, radix: 8))); chmod 600 it, and rotate the key if others could read it")
        }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = Glibc.read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw Failure(description: "cannot read \(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            out += buf[..<n]
        }
        return out
    }

    /// Names of entries in `directory`.
    static func list(_ directory: String) -> [String] {
        guard let d = opendir(directory) else { return [] }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func remove(_ path: String) { unlink(path) }
}
