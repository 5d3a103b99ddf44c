import LedgerCrypto

/// A refresh token that passed its MAC check: proof that the server issued a token for
/// this session and generation (see `docs/REFRESH_TOKENS.md`).
public struct RefreshToken: Sendable, Hashable {
    /// Which refresh-token key signed it.
    public let keyID: UInt8
    /// The 16-byte session id: finds the session in O(1).
    public let session: [UInt8]
    /// The position of this token in its session's lineage (1 for the login's token).
    public let generation: UInt32
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
    static let domain = Array("authledger-refresh-v1".utf8) + [0]
    static let bodyBytes = 1 + 16 + 4 + 32

    private let keys: [UInt8: HMACSHA256]
    /// The key new tokens are minted with.
    public let currentKeyID: UInt8

    /// - Parameters:
    ///   - keys: every key that may have minted a live token, by id (32+ random bytes each).
    ///   - current: the id of the key to mint with.
    public init(keys: [UInt8: [UInt8]], current: UInt8) throws(CryptoError) {
        guard keys[current] != nil else { throw CryptoError(.invalidKey, "no refresh-token key with id \(current)") }
        var macs: [UInt8: HMACSHA256] = [:]
        for (id, k) in keys { macs[id] = try HMACSHA256(key: k) }
        self.keys = macs
        currentKeyID = current
    }

    private static func message(keyID: UInt8, session: [UInt8], generation: UInt32) -> [UInt8] {
        var m = domain
        m.append(keyID)
        m += session
        m += [UInt8(truncatingIfNeeded: generation >> 24), UInt8(truncatingIfNeeded: generation >> 16),
              UInt8(truncatingIfNeeded: generation >> 8), UInt8(truncatingIfNeeded: generation)]
        return m
    }

    /// The token for `generation` of `session` (16 bytes), minted with the current key.
    public func token(session: [UInt8], generation: UInt32) -> String {
        precondition(session.count == 16, "a session id is 16 bytes")
        let m = Self.message(keyID: currentKeyID, session: session, generation: generation)
        let tag = keys[currentKeyID]!.authenticate(bytes: m)
        // The body is the message without its domain prefix, then the tag.
        return Self.prefix + Base64URL.encode(Array(m[Self.domain.count...]) + tag)
    }

    /// Parses and authenticates `text`. Constant-time in the tag comparison.
    public func authenticate(_ text: String) throws(RefreshTokenError) -> RefreshToken {
        guard text.utf8.count < 200, text.hasPrefix(Self.prefix) else {
            throw RefreshTokenError(kind: .malformed, reason: "not an AuthLedger refresh token (expected the \(Self.prefix) prefix)")
        }
        guard let body = Base64URL.decode(Array(text.utf8.dropFirst(Self.prefix.utf8.count))), body.count == Self.bodyBytes else {
            throw RefreshTokenError(kind: .malformed, reason: "the token body is not \(Self.bodyBytes) bytes of canonical base64url")
        }
        let keyID = body[0]
        let session = Array(body[1..<17])
        let generation = body[17..<21].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let tag = Array(body[21...])
        guard let mac = keys[keyID] else {
            throw RefreshTokenError(kind: .forged, reason: "signed with unknown refresh-token key \(keyID)")
        }
        guard mac.isValid(tag: tag, for: Self.message(keyID: keyID, session: session, generation: generation)) else {
            throw RefreshTokenError(kind: .forged, reason: "the token's MAC does not verify")
        }
        return RefreshToken(keyID: keyID, session: session, generation: generation)
    }
}
