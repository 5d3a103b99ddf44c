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
    /// How long a new key is published before it signs (see ``KeyRing/rotate(algorithm:immediately:)``):
    /// at least as long as any verifier caches the key set, so none meets a token signed by
    /// a key it has not fetched.
    public var publishAheadSeconds: Int64 = 120
    public init() {}
}

/// A signing-key rotation: the new key and when it signs.
public struct KeyRotation: Sendable, Equatable {
    /// The new key's id (published in the JWKS from now on).
    public let kid: String
    /// When the new key signs (or signed) its first token.
    public let activatesAt: Timestamp
    /// Whether it already signs.
    public let isActive: Bool
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
        /// The private key of ``KeyState/pendingKid``, once loaded.
        var pending: SigningKey?
        var refresh: RefreshTokenCodec
    }
    private let current: Mutex<Current>
    /// One lifecycle change at a time (each writes a file, then appends events).
    private let changes = SerialChanges()

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
            // No active key, or its private file is gone: start signing at once (with the
            // pending key if there is one), since nothing can be issued until a key signs.
            // Older keys stay published, so tokens they signed keep verifying.
            try await rotate(immediately: true)
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

    /// Starts a signing-key rotation: generates a key, stores it and publishes it (a
    /// `key.added` event); it becomes the signing key ``KeyRingConfiguration/publishAheadSeconds``
    /// later, at the first ``activateDueKey()`` from then on, so that verifiers caching the
    /// JWKS for up to that long know it before they meet its tokens. The previous key stays
    /// published until ``retireExpiredKeys()`` finds its last token expired.
    ///
    /// A rotation already waiting is returned as it is rather than started twice.
    /// - Parameter immediately: sign with the new key at once (a key that may have leaked):
    ///   verifiers holding a cached key set refetch it when they meet the unknown `kid`. A
    ///   key already published and waiting is activated rather than a new one made.
    @discardableResult
    public func rotate(algorithm: JWSAlgorithm? = nil, immediately: Bool = false) async throws -> KeyRotation {
        try await changes.run {
            do {
                if let pending = try self.pendingKey() {
                    return immediately ? try await self.activate(pending) : self.rotation(pending.kid)
                }
            } catch let error as EngineError where immediately {
                // The waiting key's file is gone or unusable. It has signed nothing, so
                // retiring it is safe, and an urgent rotation must not wait for a restore.
                guard case .keyFile = error.kind, let kid = self.current.withLock({ $0.state.pendingKid }) else { throw error }
                let retired = AuthEvent.signingKeyRetired(SigningKeyChanged(kid: kid))
                let receipt = try await self.log.append([retired.pending(user: nil)])
                self.current.withLock { $0.state.apply(retired, at: receipt.timestamp) }
            }
            let key = try SigningKey.generate(algorithm ?? self.configuration.algorithm)
            // The private key is on disk before any event names it: a crash in between leaves
            // an unused file, never a published key nobody can sign with.
            try SecretFiles.write(Array(try key.pemRepresentation().utf8), to: self.path(for: key.kid))
            var events: [AuthEvent] = [
                .signingKeyAdded(SigningKeyAdded(kid: key.kid, algorithm: key.algorithm.rawValue, publicJWK: key.verificationKey.jwk!.serialized)),
            ]
            if immediately { events.append(.signingKeyActivated(SigningKeyChanged(kid: key.kid))) }
            let receipt = try await self.log.append(events.map { $0.pending(user: nil) })
            self.current.withLock { c in
                for e in events { c.state.apply(e, at: receipt.timestamp) }
                if immediately { c.signer = key } else { c.pending = key }
            }
            return self.rotation(key.kid)
        }
    }

    /// Makes the key published ahead the signing key, if its time has come. Returns its kid
    /// if it did. The engine calls this itself (see ``AuthEngine/activateDueSigningKey()``).
    @discardableResult
    public func activateDueKey() async throws -> String? {
        try await changes.run {
            guard let pending = try self.pendingKey(), self.rotation(pending.kid).activatesAt <= self.clock.now() else { return nil }
            return try await self.activate(pending).kid
        }
    }

    /// The rotation waiting to take effect, if any.
    public var pendingRotation: KeyRotation? {
        current.withLock { $0.state.pendingKid }.map(rotation)
    }

    private func rotation(_ kid: String) -> KeyRotation {
        current.withLock { c in
            let entry = c.state.entries[kid]!
            return KeyRotation(kid: kid, activatesAt: entry.activatedAt ?? entry.addedAt.adding(seconds: configuration.publishAheadSeconds),
                               isActive: c.state.activeKid == kid)
        }
    }

    /// The pending key's signer, read from its file the first time (after a restart).
    private func pendingKey() throws -> SigningKey? {
        let (kid, loaded, state) = current.withLock { ($0.state.pendingKid, $0.pending, $0.state) }
        guard let kid else { return nil }
        if let loaded, loaded.kid == kid { return loaded }
        guard let key = try Self.loadSigner(kid: kid, of: state, in: keysDirectory) else {
            throw EngineError(.keyFile(path: path(for: kid)), "the signing key \"\(kid)\" published ahead of its activation has no private key file in \(keysDirectory); restore it from a backup")
        }
        current.withLock { $0.pending = key }
        return key
    }

    private func activate(_ key: SigningKey) async throws -> KeyRotation {
        let event = AuthEvent.signingKeyActivated(SigningKeyChanged(kid: key.kid))
        let receipt = try await log.append([event.pending(user: nil)])
        current.withLock { c in
            c.state.apply(event, at: receipt.timestamp)
            c.signer = key
            c.pending = nil
        }
        return rotation(key.kid)
    }

    /// Retires every key that no longer signs and whose tokens have all expired, logging
    /// each retirement and deleting its private key file. Returns the retired kids.
    /// - Parameter longestAccessTokenLifetimeSeconds: the longest lifetime recorded for any
    ///   session (sessions keep the lifetimes they started with, so after a configuration
    ///   change it can exceed the configured one); the larger of the two is used.
    @discardableResult
    public func retireExpiredKeys(longestAccessTokenLifetimeSeconds: Int64 = 0) async throws -> [String] {
        let lifetime = max(configuration.accessTokenLifetimeSeconds, longestAccessTokenLifetimeSeconds)
        return try await changes.run {
            let kids = self.current.withLock {
                $0.state.retirable(now: self.clock.now(), longestTokenLifetimeSeconds: lifetime, leewaySeconds: self.configuration.leewaySeconds)
            }
            guard !kids.isEmpty else { return [] }
            let events = kids.map { AuthEvent.signingKeyRetired(SigningKeyChanged(kid: $0)) }
            let receipt = try await self.log.append(events.map { $0.pending(user: nil) })
            self.current.withLock { c in for e in events { c.state.apply(e, at: receipt.timestamp) } }
            for kid in kids { SecretFiles.remove(self.path(for: kid)) }
            return kids
        }
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
