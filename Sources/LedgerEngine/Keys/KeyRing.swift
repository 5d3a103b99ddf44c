import Glibc
import LedgerCrypto
import LedgerCodec
import LedgerLog
import LedgerTokens
import Synchronization

/// How signing keys are chosen, kept and retired.
public struct KeyRingConfiguration: Sendable {
    /// The algorithm of generated keys (ES256 unless a deployment asks otherwise).
    public var algorithm: JWSAlgorithm = .es256
    /// The access-token lifetime configured for new sessions: a key stays published at
    /// least this long (plus the leeway) after it stops signing.
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
    ///
    /// Only a missing key file leads to a new key. A key file that is there but unusable
    /// (unreadable, corrupt, encrypted, readable by others, misnamed) throws an
    /// ``EngineError`` of kind ``EngineError/Kind/keyFile(path:)`` before anything is written:
    /// replacing it would leave a key that may have leaked published and trusted.
    public init(dataDirectory: String, log: EventLog, configuration: KeyRingConfiguration = KeyRingConfiguration(),
                clock: any LedgerClock = SystemClock()) async throws {
        self.configuration = configuration
        self.keysDirectory = dataDirectory + "/keys"
        self.log = log
        self.clock = clock
        try SecretFiles.ensureDirectory(keysDirectory)
        try SecretFiles.requireSafeDirectory(keysDirectory)
        let state = try KeyState.replay(log)
        let directory = keysDirectory
        let signer = try state.activeKid.flatMap { kid in try Self.loadSigner(kid: kid, of: state, in: directory) }
        try Self.checkPublishedKeyFiles(of: state, in: directory)
        let refresh = try Self.loadRefreshKeys(directory)
        current = Mutex(Current(state: state, signer: signer, refresh: refresh))
        if signer == nil {
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
    /// - Parameter longestAccessTokenLifetimeSeconds: the longest lifetime recorded for any
    ///   session (sessions keep the lifetimes they started with, so after a configuration
    ///   change it can exceed the configured one); the larger of the two is used.
    @discardableResult
    public func retireExpiredKeys(longestAccessTokenLifetimeSeconds: Int64 = 0) async throws -> [String] {
        let lifetime = max(configuration.accessTokenLifetimeSeconds, longestAccessTokenLifetimeSeconds)
        let kids = current.withLock {
            $0.state.retirable(now: clock.now(), longestTokenLifetimeSeconds: lifetime, leewaySeconds: configuration.leewaySeconds)
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

    private func path(for kid: String) -> String { Self.path(for: kid, in: keysDirectory) }

    private static func path(for kid: String, in directory: String) -> String { directory + "/" + kid + ".pem" }

    /// The active key's signer, or nil if its file is missing (the one case that may be
    /// answered with a new key).
    private static func loadSigner(kid: String, of state: KeyState, in directory: String) throws(EngineError) -> SigningKey? {
        let path = path(for: kid, in: directory)
        guard KeyFileName.isUsable(kid: kid) else {
            throw EngineError(.keyFile(path: path), "the log names the active signing key \"\(kid)\", which cannot be a file name in \(directory); the log was written by something other than AuthLedger")
        }
        let bytes: [UInt8]
        do {
            guard let read = try SecretFiles.readIfPresent(path) else { return nil }
            bytes = read
        } catch {
            throw EngineError(.keyFile(path: path), "the active signing key cannot be used: \(error)")
        }
        let entry = state.entries[kid]!
        let pem = String(decoding: bytes, as: UTF8.self)
        let advice = "restore the file from a backup; or, to have a new signing key generated at the next start, move it out of \(directory) (its public key stays published until its last token expires)"
        if pem.contains("-----BEGIN ENCRYPTED") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw EngineError(.keyFile(path: path), "\(path) is an encrypted PEM; AuthLedger reads only unencrypted PKCS#8 keys, protected by the file's mode (0600): decrypt it (openssl pkey -in FILE -out FILE.new), or \(advice)")
        }
        let key: SigningKey
        do { key = try SigningKey(pem: pem, algorithm: entry.key.algorithm, kid: kid) } catch {
            throw EngineError(.keyFile(path: path), "\(path) does not hold a PKCS#8 \(entry.key.algorithm.rawValue) private key (\(error)); \(advice)")
        }
        guard key.verificationKey == entry.key else {
            throw EngineError(.keyFile(path: path), "\(path) holds a different key than the public key the log published as \"\(kid)\"; \(advice)")
        }
        return key
    }

    /// Published keys that no longer sign are not loaded, but their files are checked:
    /// one that others can read is a key that may have leaked while still trusted.
    private static func checkPublishedKeyFiles(of state: KeyState, in directory: String) throws(EngineError) {
        for (kid, entry) in state.entries.sorted(by: { $0.key < $1.key }) where entry.isPublished && kid != state.activeKid {
            guard KeyFileName.isUsable(kid: kid) else { continue }
            let path = path(for: kid, in: directory)
            do { _ = try SecretFiles.readIfPresent(path) } catch {
                throw EngineError(.keyFile(path: path), "published signing key \"\(kid)\": \(error)")
            }
        }
    }

    /// Loads the `refresh-<n>.key` files (32 random bytes each), creating `refresh-1.key` if
    /// there are none. See ``KeyFileName`` for which names count.
    static func loadRefreshKeys(_ dir: String) throws -> RefreshTokenCodec {
        var keys: [UInt8: [UInt8]] = [:]
        for name in SecretFiles.list(dir) {
            let path = dir + "/" + name
            switch KeyFileName(name) {
            case let .refreshKey(id):
                let key: [UInt8]
                do { key = try SecretFiles.read(path) } catch {
                    throw EngineError(.keyFile(path: path), "refresh-token key \(id) cannot be used: \(error)")
                }
                guard key.count == 32 else {
                    throw EngineError(.keyFile(path: path), "\(path) holds \(key.count) bytes, but a refresh-token key is 32 random bytes; restore it from a backup (removing it invalidates every refresh token minted with it)")
                }
                keys[id] = key
            case .malformedRefreshKey:
                throw EngineError(.keyFile(path: path), "\(path) is named like a refresh-token key, but its number is not 1…255 written plainly (no sign, no leading zero): rename it to refresh-<n>.key, or move it out of \(dir)")
            case .temporary, .logKey, .other:
                continue
            }
        }
        if keys.isEmpty {
            let key = HMACSHA256.generateKey()
            try SecretFiles.write(key, to: dir + "/" + KeyFileName.refreshKey(id: 1))
            keys[1] = key
        }
        return try RefreshTokenCodec(keys: keys, current: keys.keys.max()!)
    }
}
