import LedgerCrypto

/// A tree head in the C2SP `tlog-checkpoint` form: the origin line (which names the log
/// and is also its key's name), the tree size in decimal, the root hash in base64, each
/// followed by a newline. Signed, it is a C2SP `signed-note` (``SignedCheckpoint``).
public struct Checkpoint: Sendable, Equatable {
    public let origin: String
    public let size: UInt64
    public let root: SHA256Digest

    public init(origin: String, size: UInt64, root: SHA256Digest) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The note text that is signed.
    public var text: String { "\(origin)\n\(size)\n\(Base64.encode(root.bytes))\n" }

    /// Parses the first three lines of a checkpoint (extension lines after them are ignored,
    /// as the format allows).
    public init(parsing text: Substring) throws(CheckpointError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 4, !lines[0].isEmpty else { throw CheckpointError("a checkpoint has an origin line, a size and a root hash") }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else { throw CheckpointError("the size line is not a decimal number") }
        guard let raw = Base64.decode(lines[2]), let root = SHA256Digest(bytes: raw) else {
            throw CheckpointError("the root line is not a base64 SHA-256 hash")
        }
        self.init(origin: String(lines[0]), size: size, root: root)
    }
}

/// A checkpoint signed with the log's Ed25519 key, as a C2SP signed note:
///
///     <checkpoint text>
///     (blank line)
///     — <key name> <base64(key id ‖ signature)>
///
/// The key id is the first four bytes of SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key);
/// 0x01 names Ed25519. The log's note verifier key is `name+hex(key id)+base64(0x01 ‖ public key)`.
public struct SignedCheckpoint: Sendable, Equatable {
    public let checkpoint: Checkpoint
    public let signature: [UInt8]

    /// The whole note, ready to publish.
    public var note: String { checkpoint.text + "\n— \(checkpoint.origin) " + Base64.encode(signature) + "\n" }

    /// Signs `checkpoint` with the log key (whose name must be the checkpoint's origin).
    public static func sign(_ checkpoint: Checkpoint, with key: Ed25519.SigningKey) throws -> SignedCheckpoint {
        let id = NoteKey.keyID(name: checkpoint.origin, publicKey: try key.publicKey.rawRepresentation)
        let signature = try key.signature(for: Array(checkpoint.text.utf8))
        return SignedCheckpoint(checkpoint: checkpoint, signature: id + signature)
    }

    /// Parses a signed note and checks its signature under `verifierKey` (the
    /// `name+keyid+base64` form). Throws unless a signature line by that key verifies.
    public static func verify(note: String, verifierKey: String) throws -> Checkpoint {
        let key = try NoteKey(verifierKey: verifierKey)
        let bytes = Array(note.utf8)
        guard let blank = bytes.indices.dropLast().first(where: { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A }) else {
            throw CheckpointError("a signed note has a blank line before its signatures")
        }
        let text = String(decoding: bytes[...blank], as: UTF8.self)
        let signatures = String(decoding: bytes[(blank + 2)...], as: UTF8.self)
        let checkpoint = try Checkpoint(parsing: Substring(text))
        guard checkpoint.origin == key.name else { throw CheckpointError("the checkpoint's origin is not the key's name \(key.name)", signature: true) }
        for line in signatures.split(separator: "\n") where line.hasPrefix("— ") {
            let parts = line.dropFirst(2).split(separator: " ")
            guard parts.count == 2, parts[0] == key.name, let raw = Base64.decode(parts[1]), raw.count == 4 + 64,
                  Array(raw.prefix(4)) == key.id else { continue }
            if key.publicKey.isValidSignature(Array(raw.dropFirst(4)), for: Array(text.utf8)) { return checkpoint }
            throw CheckpointError("the signature by \(key.name) does not verify: the checkpoint was altered or signed by another key", signature: true)
        }
        throw CheckpointError("no signature by \(key.name) on this checkpoint", signature: true)
    }
}

/// A note signer's public identity (C2SP signed-note, Ed25519).
public struct NoteKey: Sendable, Equatable {
    public let name: String
    public let id: [UInt8]
    public let publicKey: Ed25519.PublicKey

    public init(name: String, publicKey: Ed25519.PublicKey) {
        self.name = name
        self.publicKey = publicKey
        id = Self.keyID(name: name, publicKey: publicKey.rawRepresentation)
    }

    /// Parses `name+hex(key id)+base64(0x01 ‖ public key)`, checking that the id matches.
    public init(verifierKey: String) throws {
        let parts = verifierKey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].count == 8,
              let raw = Base64.decode(parts[2]), raw.count == 33, raw[0] == 0x01 else {
            throw CheckpointError("a note verifier key is name+keyid+base64(0x01 ‖ Ed25519 public key)")
        }
        self.init(name: String(parts[0]), publicKey: try Ed25519.PublicKey(rawRepresentation: Array(raw.dropFirst())))
        guard id.hexString == parts[1].lowercased() else { throw CheckpointError("the verifier key's id does not match its name and key") }
    }

    /// The published form: `name+hex(key id)+base64(0x01 ‖ public key)`.
    public var verifierKey: String { "\(name)+\(id.hexString)+\(Base64.encode([0x01] + publicKey.rawRepresentation))" }

    static func keyID(name: String, publicKey: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(Array(name.utf8) + [0x0A, 0x01] + publicKey).bytes.prefix(4))
    }
}

/// Why a checkpoint or its signature is not acceptable.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    /// The note is well formed but not signed by the key (altered, another key, another origin).
    public let isSignatureFailure: Bool
    public init(_ description: String, signature: Bool = false) {
        self.description = description
        isSignatureFailure = signature
    }
}
