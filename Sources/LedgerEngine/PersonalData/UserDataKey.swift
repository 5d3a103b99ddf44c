import LedgerCodec
import LedgerCrypto

/// One user's data key: what encrypts the user's personal fields (device label, user
/// agent, addresses) in the log, and what keys their device fingerprints. It exists in
/// clear only in memory; on disk it is wrapped under the master key (``MasterKey``).
///
/// Fields are encrypted with AES-256-CTR and no tag (the log's hash chain already
/// authenticates every stored byte). The IV is never stored: it is derived from the
/// event's type and a context that no other event under this key shares (see
/// `docs/EVENTS.md`, "Personal data"), because counter mode under a repeated IV leaks the
/// XOR of two plaintexts.
final class UserDataKey: Sendable {
    /// The 32 random bytes, kept only to be wrapped again when the master key rotates.
    let material: [UInt8]
    private let cipher: AES256CTR
    /// A key of its own for IVs and fingerprints (HMAC of the material), so that no
    /// value is ever both an AES key and an HMAC key.
    private let derivation: HMACSHA256

    static let byteCount = 32
    static let ivLabel = Array("authledger-pii-v1".utf8)

    init(material: [UInt8]) throws(CryptoError) {
        self.material = material
        cipher = try AES256CTR(key: material)
        let mac = try HMACSHA256(key: material)
        derivation = try HMACSHA256(key: mac.authenticate(bytes: Array("authledger-pii-v1 derivation".utf8)))
    }

    /// A fresh random key.
    static func generate() -> UserDataKey {
        // Cannot fail: the material has the one length both primitives take.
        try! UserDataKey(material: SecureRandom.bytes(byteCount))
    }

    /// The IV for the personal fields of one event: the first 16 bytes of
    /// HMAC(derivation key, "authledger-pii-v1" ‖ event type ‖ context).
    func iv(type: EventType, context: [UInt8]) -> [UInt8] {
        Array(derivation.authenticate(bytes: Self.ivLabel + [type.rawValue] + context).prefix(16))
    }

    /// Encrypts or decrypts (the same operation in counter mode) `bytes` at `offset` of the
    /// key stream for (`type`, `context`).
    func apply(type: EventType, context: [UInt8], offset: Int = 0, to bytes: [UInt8]) -> [UInt8] {
        // Cannot fail for a valid IV and key; a library failure here would be a broken build.
        try! cipher.apply(iv: iv(type: type, context: context), offset: offset, to: bytes)
    }

    /// A keyed 64-bit fingerprint of a device (label and user agent), for the new-device
    /// rule: equal devices of one user compare equal, and without the key (after erasure)
    /// the fingerprint cannot be tested against guesses.
    func fingerprint(label: String, userAgent: String) -> UInt64 {
        let tag = derivation.authenticate(bytes: Array("device".utf8) + [0] + Array(label.utf8) + [0] + Array(userAgent.utf8))
        return tag.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// IV contexts: unique per event under one user key (see `docs/EVENTS.md`).
enum IVContext {
    /// A login: one `session.started` per session, and session ids are 128 random bits.
    static func login(_ s: SessionID) -> [UInt8] { bytes(s) }
    /// A rotation: each generation of a session is issued once.
    static func rotation(_ s: SessionID, generation: UInt32) -> [UInt8] { bytes(s) + le(generation) }
    /// A reuse detection: at most one per session, since it revokes the session.
    static func reuse(_ s: SessionID, presented: UInt32, current: UInt32) -> [UInt8] { bytes(s) + le(presented) + le(current) }

    static func bytes(_ s: SessionID) -> [UInt8] { le64(s.high) + le64(s.low) }
    private static func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
    private static func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
}
