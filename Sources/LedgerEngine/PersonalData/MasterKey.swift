import Glibc
import LedgerCrypto

/// The key that wraps every user's data key: `DATA/keys/master-<n>.key`, 32 random bytes,
/// owner-only like the other keys. Rotating it (``UserKeyVault/rotateMaster(dataDirectory:log:)``)
/// rewraps every user key under master n+1 and deletes master n, so that a user key erased
/// before the rotation cannot be unwrapped from an old copy of the database (a backup, or
/// LMDB's freed pages) with the current master.
struct MasterKey: Sendable {
    let id: UInt32
    let path: String
    let aead: AES256GCM

    static let byteCount = 32

    static func directory(_ dataDirectory: String) -> String { dataDirectory + "/keys" }
    static func path(_ dataDirectory: String, id: UInt32) -> String { directory(dataDirectory) + "/master-\(id).key" }

    /// The ids of the master-key files in `keys/`, ascending. Only canonical names
    /// (`master-1.key`, never `master-01.key`) count; temporary files are ignored.
    static func ids(in dataDirectory: String) -> [UInt32] {
        SecretFiles.list(directory(dataDirectory)).compactMap { name -> UInt32? in
            guard name.hasPrefix("master-"), name.hasSuffix(".key"), !name.contains(".tmp-") else { return nil }
            let digits = name.dropFirst("master-".count).dropLast(".key".count)
            guard let first = digits.first, first != "0", let n = UInt32(digits), String(n) == digits else { return nil }
            return n
        }.sorted()
    }

    static func read(_ dataDirectory: String, id: UInt32) throws(EngineError) -> MasterKey {
        let path = path(dataDirectory, id: id)
        let bytes: [UInt8]
        do { bytes = try SecretFiles.read(path) } catch {
            throw EngineError(.keyFile(path: path), "cannot read the master key: \(error)")
        }
        guard bytes.count == byteCount, let aead = try? AES256GCM(key: bytes) else {
            throw EngineError(.keyFile(path: path), "\(path) holds \(bytes.count) bytes, not a \(byteCount)-byte master key; restore the file from your key backup")
        }
        return MasterKey(id: id, path: path, aead: aead)
    }

    /// Writes a new master key `id`; refuses to replace an existing file.
    static func create(_ dataDirectory: String, id: UInt32) throws(EngineError) -> MasterKey {
        let path = path(dataDirectory, id: id)
        do {
            try SecretFiles.ensureDirectory(directory(dataDirectory))
            guard try SecretFiles.readIfPresent(path) == nil else {
                throw EngineError(.keyFile(path: path), "\(path) already exists; a master key is never replaced")
            }
            try SecretFiles.write(SecureRandom.bytes(byteCount), to: path)
        } catch let e as EngineError { throw e } catch {
            throw EngineError(.keyFile(path: path), "cannot write the master key: \(error)")
        }
        return try read(dataDirectory, id: id)
    }
}
