import Glibc
import LedgerCrypto
import LedgerEvents
import LedgerLog
import LedgerTokens
import Synchronization

/// How signing keys are chosen, kept and retired.
public struct KeyRingConfiguration: Sendable {
    /// The algorithm of generated keys (ES256 unless a deployment asks otherwise).
    public var algorithm: JWSAlgorithm = .es256
    /// The longest access-token lifetime in use: a key stays published this long (plus
    /// the leeway) after it stops signing.
    public var accessTokenLifetimeSeconds: Int64 = 300
    public var leewaySeconds: Int64 = 30
    public init() {}
}

/// The signing keys and refresh-token keys of one data directory.
///
/// Private keys live in `DATA/keys/` (mode 0700; each file 0600). Their lifecycle — added,
/// activated, retired, with public parts only — is recorded as events in the log, so
/// subscribers learn of new keys from the log and the JWKS is a projection of it.
public final class KeyRing: Sendable {
    public let configuration: KeyRingConfiguration
    let keysDirectory: String
    let log: EventLog
    let clock: any LedgerClock

    private struct Current: Sendable {
        var state: KeyState
        var signer: SigningKey?
        var refresh: RefreshTokenCodec
    }
    private let current: Mutex<Current>
    /// One lifecycle change at a time (each writes a file, then appends events).
    private let changes = Mutex(())

    /// Opens the key ring of `dataDirectory`, replaying key events from `log`, and makes sure
    /// there is an active signing key (generating one, and logging it, if there is none).
    public init(dataDirectory: String, log: EventLog, configuration: KeyRingConfiguration = KeyRingConfiguration(),
                clock: any LedgerClock = SystemClock()) async throws {
        self.configuration = configuration
        self.keysDirectory = dataDirectory + "/keys"
        self.log = log
        self.clock = clock
        try SecretFiles.ensureDirectory(keysDirectory)
        let state = try KeyState.replay(log)
        let refresh = try Self.loadRefreshKeys(keysDirectory)
        current = Mutex(Current(state: state, signer: nil, refresh: refresh))
        if let kid = state.activeKid, let signer = try? loadSigner(kid: kid, algorithm: state.entries[kid]!.key.algorithm) {
            current.withLock { $0.signer = signer }
        } else {
            // No active key, or its private file is gone: start signing with a fresh key.
            // Older keys stay published, so tokens they signed keep verifying.
            try await rotate()
        }
    }

    /// The key set every verifier needs: all published keys.
    public var jwks: JWKS { current.withLock { $0.state.jwks } }

    /// The key lifecycle as recorded in the log.
    public var state: KeyState { current.withLock { $0.state } }

    /// The key that signs new access tokens.
    public var signingKey: SigningKey { current.withLock { $0.signer! } }

    /// Mints and authenticates refresh tokens with the data directory's refresh keys.
    public var refreshTokens: RefreshTokenCodec { current.withLock { $0.refresh } }

    /// Generates a new signing key, stores it, and makes it the signing key. The previous key
    /// stays published until ``retireExpiredKeys()`` finds its last token expired.
    @discardableResult
    public func rotate(algorithm: JWSAlgorithm? = nil) async throws -> SigningKey {
        let key = try SigningKey.generate(algorithm ?? configuration.algorithm)
        // The private key is on disk before any event names it: a crash in between leaves an
        // unused file, never a published key nobody can sign with.
        try SecretFiles.write(Array(try key.pemRepresentation().utf8), to: path(for: key.kid))
        let events: [AuthEvent] = [
            .signingKeyAdded(SigningKeyAdded(kid: key.kid, algorithm: key.algorithm.rawValue, publicJWK: key.verificationKey.jwk!.serialized)),
            .signingKeyActivated(SigningKeyChanged(kid: key.kid)),
        ]
        let receipt = try await log.append(events.map { $0.pending(user: nil) })
        current.withLock { c in
            for e in events { c.state.apply(e, at: receipt.timestamp) }
            c.signer = key
        }
        return key
    }

    /// Retires every key that no longer signs and whose tokens have all expired, logging
    /// each retirement and deleting its private key file. Returns the retired kids.
    @discardableResult
    public func retireExpiredKeys() async throws -> [String] {
        let kids = current.withLock {
            $0.state.retirable(now: clock.now(), tokenLifetimeSeconds: configuration.accessTokenLifetimeSeconds,
                               leewaySeconds: configuration.leewaySeconds)
        }
        guard !kids.isEmpty else { return [] }
        let events = kids.map { AuthEvent.signingKeyRetired(SigningKeyChanged(kid: $0)) }
        let receipt = try await log.append(events.map { $0.pending(user: nil) })
        current.withLock { c in for e in events { c.state.apply(e, at: receipt.timestamp) } }
        for kid in kids { SecretFiles.remove(path(for: kid)) }
        return kids
    }

    /// Applies key events committed by another process (read from a tail).
    public func apply(_ event: LoggedEvent) {
        guard !event.event.belongsToUser else { return }
        current.withLock { $0.state.apply(event.event, at: event.timestamp) }
    }

    private func path(for kid: String) -> String { keysDirectory + "/" + kid + ".pem" }

    private func loadSigner(kid: String, algorithm: JWSAlgorithm) throws -> SigningKey {
        let pem = String(decoding: try SecretFiles.read(path(for: kid)), as: UTF8.self)
        return try SigningKey(pem: pem, algorithm: algorithm, kid: kid)
    }

    /// Loads `refresh-N.key` files (32 random bytes each), creating `refresh-1.key` if none.
    static func loadRefreshKeys(_ dir: String) throws -> RefreshTokenCodec {
        var keys: [UInt8: [UInt8]] = [:]
        for name in SecretFiles.list(dir) where name.hasPrefix("refresh-") && name.hasSuffix(".key") {
            guard let id = UInt8(name.dropFirst(8).dropLast(4)) else { continue }
            keys[id] = try SecretFiles.read(dir + "/" + name)
        }
        if keys.isEmpty {
            let key = HMACSHA256.generateKey()
            try SecretFiles.write(key, to: dir + "/refresh-1.key")
            keys[1] = key
        }
        return try RefreshTokenCodec(keys: keys, current: keys.keys.max()!)
    }
}
