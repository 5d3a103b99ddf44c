import LedgerCodec
import LedgerCrypto

/// The log's own Ed25519 key, which signs checkpoints (never access tokens): `keys/log.pem`,
/// PKCS#8, owner-only, under the same rules as the other key files. Its note name is the
/// log's origin, so its published verifier key is `origin+keyid+base64(0x01 ‖ public key)`.
public struct LogKey: Sendable {
    /// The file name in `keys/`.
    static let fileName = "log.pem"

    /// The origin line of every checkpoint, which is also the key's name.
    public let origin: String
    let signer: Ed25519.SigningKey
    /// The key as note verifiers know it.
    public let noteKey: NoteKey

    /// The C2SP note verifier key to publish: `origin+hex(key id)+base64(0x01 ‖ public key)`.
    public var verifierKey: String { noteKey.verifierKey }

    /// Reads `keys/log.pem` of `dataDirectory`; when `create` and the file is missing, makes
    /// a new key first. A file that is there but unusable (corrupt, another kind of key,
    /// readable by others, a link) throws ``EngineError/Kind/keyFile(path:)`` and nothing is
    /// replaced: a new key would make every checkpoint signed so far unverifiable with the
    /// key auditors hold.
    public static func open(dataDirectory: String, origin: String, create: Bool) throws(EngineError) -> LogKey {
        try checkOrigin(origin)
        let directory = dataDirectory + "/keys"
        let path = directory + "/" + fileName
        let bytes: [UInt8]?
        do {
            if create { try SecretFiles.ensureDirectory(directory) }
            try SecretFiles.requireSafeDirectory(directory)
            bytes = try SecretFiles.readIfPresent(path)
        } catch let e as EngineError { throw e } catch {
            throw EngineError(.keyFile(path: path), "the log key cannot be used: \(error)")
        }
        let key: Ed25519.SigningKey
        if let bytes {
            do { key = try Ed25519.SigningKey(pem: String(decoding: bytes, as: UTF8.self)) } catch {
                throw EngineError(.keyFile(path: path), "\(path) does not hold a PKCS#8 Ed25519 private key (\(error)); restore it from a backup. Only if it is lost for good, move it away: a new log key is then made, and auditors must be given its verifier key")
            }
        } else {
            guard create else {
                throw EngineError(.keyFile(path: path), "\(path) does not exist: the log has no key yet; it is made when the engine (authledger serve) first opens the data directory")
            }
            do {
                key = try Ed25519.SigningKey()
                try SecretFiles.write(Array(try key.pemRepresentation().utf8), to: path)
            } catch {
                throw EngineError(.keyFile(path: path), "cannot create the log key: \(error)")
            }
        }
        do { return LogKey(origin: origin, signer: key, noteKey: NoteKey(name: origin, publicKey: try key.publicKey)) } catch {
            throw EngineError(.keyFile(path: path), "\(path): \(error)")
        }
    }

    /// Signs a checkpoint of this log.
    public func sign(size: UInt64, root: SHA256Digest) throws -> SignedCheckpoint {
        try SignedCheckpoint.sign(Checkpoint(origin: origin, size: size, root: root), with: signer)
    }

    /// A note key name is one line of printable characters without spaces or `+` (C2SP
    /// signed-note): anything else would make the signature line or the verifier key ambiguous.
    static func checkOrigin(_ origin: String) throws(EngineError) {
        guard !origin.isEmpty, origin.utf8.count <= 256,
              origin.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7f && $0 != "+" }) else {
            throw EngineError(.invalidConfiguration, "the log origin \"\(origin)\" cannot name the log: use one word of up to 256 bytes, no spaces or '+', such as example.com/authledger")
        }
    }
}
