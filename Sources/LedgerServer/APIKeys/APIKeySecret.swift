import LedgerCrypto

/// The text of an API key: `alk_<key id>_<secret>`. The key id is public (listings, logs,
/// events); only the secret's SHA-256 is ever stored.
public struct APIKeySecret: Sendable {
    public static let prefix = "alk_"
    public let keyID: String
    public let secret: String

    /// A new key: 8 random bytes of id (hex), 32 of secret (base64url).
    public static func generate() -> APIKeySecret {
        APIKeySecret(keyID: SecureRandom.bytes(8).hexString, secret: Base64URL.encode(SecureRandom.bytes(32)))
    }

    init(keyID: String, secret: String) { self.keyID = keyID; self.secret = secret }

    /// Splits a presented key; nil if it does not have the shape of one.
    public init?(parsing text: String) {
        guard text.hasPrefix(Self.prefix) else { return nil }
        let rest = text.utf8.dropFirst(Self.prefix.utf8.count)
        guard rest.count == 16 + 1 + 43, rest[rest.index(rest.startIndex, offsetBy: 16)] == UInt8(ascii: "_") else { return nil }
        let id = String(decoding: rest.prefix(16), as: UTF8.self)
        let secret = String(decoding: rest.suffix(43), as: UTF8.self)
        guard id.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }),
              Base64URL.decode(secret)?.count == 32 else { return nil }
        keyID = id
        self.secret = secret
    }

    /// What the caller sends in `Authorization: Bearer …`.
    public var text: String { Self.prefix + keyID + "_" + secret }

    public var secretHash: SHA256Digest { SHA256.hash(Array(secret.utf8)) }
}
