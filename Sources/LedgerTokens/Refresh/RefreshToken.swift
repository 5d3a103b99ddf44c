import LedgerCrypto

/// A refresh token that passed its MAC check: proof that the server issued a token for
/// this session and generation (see `docs/REFRESH_TOKENS.md`).
public struct RefreshToken: Sendable, Hashable {
    /// Which refresh-token key signed it.
    public let keyID: UInt8
    /// The 16-byte session id as two big-endian words (high first): finds the session in O(1).
    public let sessionHigh: UInt64
    public let sessionLow: UInt64
    /// The position of this token in its session's lineage (1 for the login's token).
    public let generation: UInt32

    /// The 16-byte session id.
    public var session: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? sessionHigh : sessionLow) >> (56 - 8 * UInt64(i % 8))) }
    }
}

/// Why a presented refresh token is not one the server issued. Either way the engine
/// rejects it without touching the session: knowing a session id must not let anyone
/// revoke it.
public struct RefreshTokenError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Not the shape of an AuthLedger refresh token.
        case malformed
        /// Well-formed, but its MAC does not verify (or names an unknown key): a forgery.
        case forged
    }
    public let kind: Kind
    public let reason: String
    public var description: String { "invalid refresh token (\(kind)): \(reason)" }
}

/// Mints and authenticates refresh tokens:
///
///     "alr1_" + base64url( keyID ‖ session (16) ‖ generation (UInt32 BE) ‖ tag (32) )
///     tag = HMAC-SHA-256(key[keyID], "authledger-refresh-v1" ‖ 0x00 ‖ keyID ‖ session ‖ generation)
///
/// The token for a (session, generation) is deterministic, so the server stores no token
/// and no per-token row: the session's current generation is enough to tell the current
/// token, an older genuine one (reuse) and a forgery (bad MAC) apart.
public struct RefreshTokenCodec: Sendable {
    public static let prefix = "alr1_"
    static let prefixBytes = Array(prefix.utf8)
    static let domain = Array("authledger-refresh-v1".utf8) + [0]
    static let bodyBytes = 1 + 16 + 4 + 32
    // Tokens are built and checked in one scratch buffer, without allocating:
    // domain ‖ keyID ‖ session ‖ generation ‖ tag; the MAC covers everything before the tag.
    static let messageBytes = domain.count + 1 + 16 + 4
    static let scratchBytes = messageBytes + 32
    static let tokenLength = prefixBytes.count + Base64URL.encodedLength(bodyBytes)

    private let keys: [UInt8: HMACSHA256]
    private let current: HMACSHA256
    /// The key new tokens are minted with.
    public let currentKeyID: UInt8

    /// - Parameters:
    ///   - keys: every key that may have minted a live token, by id (32+ random bytes each).
    ///   - current: the id of the key to mint with.
    public init(keys: [UInt8: [UInt8]], current: UInt8) throws(CryptoError) {
        var macs: [UInt8: HMACSHA256] = [:]
        for (id, k) in keys { macs[id] = try HMACSHA256(key: k) }
        guard let mac = macs[current] else { throw CryptoError(.invalidKey, "no refresh-token key with id \(current)") }
        self.keys = macs
        self.current = mac
        currentKeyID = current
    }

    /// The token for `generation` of `session` (16 bytes, or a trap: tests and tools only),
    /// minted with the current key.
    package func token(session: [UInt8], generation: UInt32) -> String {
        precondition(session.count == 16, "a session id is 16 bytes")
        let word = { (range: Range<Int>) in session[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        return token(sessionHigh: word(0..<8), sessionLow: word(8..<16), generation: generation)
    }

    /// The token for `generation` of the session whose id is the big-endian words
    /// `sessionHigh` ‖ `sessionLow`, minted with the current key. Allocates only the string.
    public func token(sessionHigh: UInt64, sessionLow: UInt64, generation: UInt32) -> String {
        withUnsafeTemporaryAllocation(byteCount: Self.scratchBytes, alignment: 8) { scratch in
            Self.domain.withUnsafeBytes { scratch.copyMemory(from: $0) }
            var at = Self.domain.count
            scratch[at] = currentKeyID
            at += 1
            scratch.storeBytes(of: sessionHigh.bigEndian, toByteOffset: at, as: UInt64.self)
            scratch.storeBytes(of: sessionLow.bigEndian, toByteOffset: at + 8, as: UInt64.self)
            scratch.storeBytes(of: generation.bigEndian, toByteOffset: at + 16, as: UInt32.self)
            current.authenticate(UnsafeRawBufferPointer(rebasing: scratch[..<Self.messageBytes]),
                                 into: UnsafeMutableRawBufferPointer(rebasing: scratch[Self.messageBytes...]))
            // The body is the message without its domain prefix, then the tag.
            let body = UnsafeRawBufferPointer(rebasing: scratch[Self.domain.count...])
            return String(unsafeUninitializedCapacity: Self.tokenLength) { out in
                let p = Self.prefixBytes.count
                _ = UnsafeMutableRawBufferPointer(out).initializeMemory(as: UInt8.self, from: Self.prefixBytes)
                Base64URL.encode(body, into: UnsafeMutableBufferPointer(rebasing: out[p...]))
                return Self.tokenLength
            }
        }
    }

    /// Parses and authenticates `text`. Constant-time in the tag comparison.
    public func authenticate(_ text: String) throws(RefreshTokenError) -> RefreshToken {
        var text = text
        return try text.withUTF8 { authenticate(utf8: $0) }.get()
    }

    private func authenticate(utf8 t: UnsafeBufferPointer<UInt8>) -> Result<RefreshToken, RefreshTokenError> {
        let p = Self.prefixBytes.count
        guard t.count < 200, t.count >= p, t.prefix(p).elementsEqual(Self.prefixBytes) else {
            return .failure(RefreshTokenError(kind: .malformed, reason: "not an AuthLedger refresh token (expected the \(Self.prefix) prefix)"))
        }
        let encoded = UnsafeBufferPointer(rebasing: t[p...])
        return withUnsafeTemporaryAllocation(byteCount: Self.scratchBytes + 32, alignment: 8) { scratch in
            // Decoded straight after the domain, so the message is in place for the MAC.
            let d = Self.domain.count
            guard Base64URL.decodedLength(encoded.count) == Self.bodyBytes,
                  Base64URL.decode(encoded, into: UnsafeMutableRawBufferPointer(rebasing: scratch[d..<(d + Self.bodyBytes)])) != nil else {
                return .failure(RefreshTokenError(kind: .malformed, reason: "the token body is not \(Self.bodyBytes) bytes of canonical base64url"))
            }
            Self.domain.withUnsafeBytes { scratch.copyMemory(from: $0) }
            let keyID = scratch[d]
            guard let mac = keyID == currentKeyID ? current : keys[keyID] else {
                return .failure(RefreshTokenError(kind: .forged, reason: "signed with unknown refresh-token key \(keyID)"))
            }
            let computed = UnsafeMutableRawBufferPointer(rebasing: scratch[Self.scratchBytes...])
            mac.authenticate(UnsafeRawBufferPointer(rebasing: scratch[..<Self.messageBytes]), into: computed)
            let presented = UnsafeRawBufferPointer(rebasing: scratch[Self.messageBytes..<Self.scratchBytes])
            guard constantTimeEquals(UnsafeRawBufferPointer(computed), presented) else {
                return .failure(RefreshTokenError(kind: .forged, reason: "the token's MAC does not verify"))
            }
            return .success(RefreshToken(keyID: keyID,
                                         sessionHigh: UInt64(bigEndian: scratch.loadUnaligned(fromByteOffset: d + 1, as: UInt64.self)),
                                         sessionLow: UInt64(bigEndian: scratch.loadUnaligned(fromByteOffset: d + 9, as: UInt64.self)),
                                         generation: UInt32(bigEndian: scratch.loadUnaligned(fromByteOffset: d + 17, as: UInt32.self))))
        }
    }
}
