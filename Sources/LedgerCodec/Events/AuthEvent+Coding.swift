import LedgerCrypto

/// Why a stored record could not be decoded as an ``AuthEvent``; always names the position.
public struct EventDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The type code is not one this build knows (written by a newer AuthLedger?).
        case unknownType(UInt8)
        /// The type is known but the schema version is newer than this build reads.
        case unsupportedVersion(type: EventType, version: UInt8)
        /// The payload does not match its type's layout.
        case malformed(type: EventType, PayloadError)
        /// An event that must belong to a user has none (or one that must not, has one).
        case userMismatch(type: EventType)
        /// The user id is not valid UTF-8, so no writer wrote it (reading it would guess).
        case invalidUser(type: EventType)
    }
    public let position: UInt64
    public let kind: Kind

    public var description: String {
        switch kind {
        case let .unknownType(t):
            return "event at position \(position) has unknown type \(t); it was probably written by a newer AuthLedger"
        case let .unsupportedVersion(t, v):
            return "event at position \(position) (\(t)) has schema version \(v); this build reads up to \(t.currentVersion). Upgrade AuthLedger"
        case let .malformed(t, e):
            return "event at position \(position) (\(t)) is malformed: \(e)"
        case let .userMismatch(t):
            return "event at position \(position) (\(t)) has an unexpected user field"
        case let .invalidUser(t):
            return "event at position \(position) (\(t)) has a user id that is not valid UTF-8"
        }
    }
}

extension AuthEvent {
    /// The event's type code.
    public var type: EventType {
        switch self {
        case .sessionStarted: .sessionStarted
        case .refreshRotated: .refreshRotated
        case .refreshReuseDetected: .refreshReuseDetected
        case .sessionEnded: .sessionEnded
        case .sessionRevoked: .sessionRevoked
        case .userSessionsRevoked: .userSessionsRevoked
        case .userBanned: .userBanned
        case .userUnbanned: .userUnbanned
        case .signingKeyAdded: .signingKeyAdded
        case .signingKeyActivated: .signingKeyActivated
        case .signingKeyRetired: .signingKeyRetired
        case .suspiciousActivity: .suspiciousActivity
        case .userForgotten: .userForgotten
        case .apiKeyCreated: .apiKeyCreated
        case .apiKeyRevoked: .apiKeyRevoked
        }
    }

    /// Key events are global; every other event belongs to a user.
    public var belongsToUser: Bool { type.belongsToUser }

    /// The payload bytes, laid out as `docs/EVENTS.md` documents.
    public func encodePayload() -> [UInt8] {
        var w = ByteWriter(capacity: 48)
        switch self {
        case let .sessionStarted(e):
            w.sessionID(e.session)
            if let fingerprint = e.deviceFingerprint {
                w.sealed(e.label)
                w.sealed(e.userAgent)
                w.sealed(e.ip)
                w.u64(fingerprint)
            } else {
                w.string(e.label.text ?? "")
                w.string(e.userAgent.text ?? "")
                w.ip(e.ip.address ?? .unknown)
            }
            w.varint(UInt64(e.lifetimes.accessToken))
            w.varint(UInt64(e.lifetimes.refreshToken))
            w.varint(UInt64(e.lifetimes.idleTimeout))
            w.varint(UInt64(e.lifetimes.absolute))
        case let .refreshRotated(e):
            w.sessionID(e.session)
            w.varint(UInt64(e.generation))
            w.address(e.ip)
        case let .refreshReuseDetected(e):
            w.sessionID(e.session)
            w.varint(UInt64(e.presentedGeneration))
            w.varint(UInt64(e.currentGeneration))
            w.u8(e.classification.rawValue)
            w.address(e.ip)
        case let .sessionEnded(e):
            w.sessionID(e.session)
            if let t = e.refuseUntil { w.varint(UInt64(clamping: t.seconds)) }
        case let .sessionRevoked(e):
            w.sessionID(e.session)
            w.u8(e.reason.rawValue)
            w.string(e.actor)
            if let t = e.refuseUntil { w.varint(UInt64(clamping: t.seconds)) }
        case let .userSessionsRevoked(e):
            if let except = e.except { w.u8(1); w.sessionID(except) } else { w.u8(0) }
            w.u8(e.reason.rawValue)
            w.string(e.actor)
            if let sessions = e.sessions {
                w.varint(UInt64(sessions.count))
                for s in sessions {
                    w.sessionID(s.session)
                    w.varint(UInt64(clamping: s.refuseUntil.seconds))
                }
            }
        case let .userBanned(e):
            w.string(e.actor)
            w.string(e.reason)
        case let .userUnbanned(e):
            w.string(e.actor)
        case let .signingKeyAdded(e):
            w.string(e.kid)
            w.string(e.algorithm)
            w.string(e.publicJWK)
        case let .signingKeyActivated(e), let .signingKeyRetired(e):
            w.string(e.kid)
        case let .suspiciousActivity(e):
            w.u8(e.rule.rawValue)
            if let s = e.session { w.u8(1); w.sessionID(s) } else { w.u8(0) }
            switch e.finding {
            case let .text(detail):
                w.string(detail)
            case let .newDevice(label, userAgent):
                w.raw(e.storedNonce); w.sealed(label); w.sealed(userAgent)
            case let .networkChange(ip, previous):
                w.raw(e.storedNonce); w.sealed(ip); w.sealed(previous)
            case let .tooManySessions(active, threshold):
                w.raw(e.storedNonce); w.varint(UInt64(active)); w.varint(UInt64(threshold))
            case let .refreshReuse(classification, presented, current, ip):
                w.raw(e.storedNonce); w.u8(classification.rawValue); w.varint(UInt64(presented)); w.varint(UInt64(current)); w.sealed(ip)
            }
        case let .userForgotten(e):
            w.string(e.actor)
        case let .apiKeyCreated(e):
            w.string(e.keyID)
            w.varint(UInt64(e.scopes.count))
            for scope in e.scopes { w.string(scope) }
            w.string(e.label)
            w.raw(e.secretHash.bytes)
        case let .apiKeyRevoked(e):
            w.string(e.keyID)
        }
        return w.bytes
    }

    /// The schema version this event is written in: the newest its fields fill (an ending
    /// event without refuse-until times is written as schema 1, as older builds did).
    public var schemaVersion: UInt8 {
        switch self {
        case let .sessionEnded(e): e.refuseUntil == nil ? 1 : 2
        case let .sessionRevoked(e): e.refuseUntil == nil ? 1 : 2
        case let .userSessionsRevoked(e): e.sessions == nil ? 1 : 2
        // Personal fields: schema 2 exactly when they are sealed (the engine seals them;
        // an event built in clear, e.g. by a test or an import, is written as schema 1).
        case let .sessionStarted(e): e.deviceFingerprint == nil ? 1 : 2
        case let .refreshRotated(e): e.ip.isSealed ? 2 : 1
        case let .refreshReuseDetected(e): e.ip.isSealed ? 2 : 1
        case let .suspiciousActivity(e): e.detail != nil ? 1 : 2
        default: type.currentVersion
        }
    }

    /// The event ready to append for `user` (nil for key events).
    public func pending(user: String?, at timestamp: Timestamp? = nil) -> PendingEvent {
        PendingEvent(type: type.rawValue, schemaVersion: schemaVersion, user: belongsToUser ? user : nil,
                     payload: encodePayload(), timestamp: timestamp)
    }

    /// Decodes a stored record. Unknown types, newer versions and malformed payloads throw
    /// an error naming the position; nothing is guessed.
    package init(decoding view: RecordView) throws(EventDecodingError) {
        guard let type = EventType(rawValue: view.type) else {
            throw EventDecodingError(position: view.position, kind: .unknownType(view.type))
        }
        guard view.schemaVersion >= 1, view.schemaVersion <= type.currentVersion else {
            throw EventDecodingError(position: view.position, kind: .unsupportedVersion(type: type, version: view.schemaVersion))
        }
        if type.belongsToUser != view.hasUser {
            throw EventDecodingError(position: view.position, kind: .userMismatch(type: type))
        }
        guard view.userIsValidUTF8 else {
            throw EventDecodingError(position: view.position, kind: .invalidUser(type: type))
        }
        var r = view.payload
        do {
            self = try Self.decodePayload(type, version: view.schemaVersion, &r)
            try r.expectEnd()
        } catch {
            throw EventDecodingError(position: view.position, kind: .malformed(type: type, error))
        }
    }

    /// Decodes a payload held outside a record, given its type code and schema version.
    package static func decode(type code: UInt8, schemaVersion: UInt8, payload: [UInt8]) throws -> AuthEvent {
        guard let type = EventType(rawValue: code) else { throw EventDecodingError(position: 0, kind: .unknownType(code)) }
        guard schemaVersion >= 1, schemaVersion <= type.currentVersion else {
            throw EventDecodingError(position: 0, kind: .unsupportedVersion(type: type, version: schemaVersion))
        }
        return try payload.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            let event = try decodePayload(type, version: schemaVersion, &r)
            try r.expectEnd()
            return event
        }
    }

    private static func enumValue<E: RawRepresentable>(_ r: inout ByteReader, _: E.Type) throws(PayloadError) -> E where E.RawValue == UInt8 {
        let raw = try r.u8()
        guard let v = E(rawValue: raw) else { throw PayloadError.malformed("unknown \(E.self) code \(raw)", at: r.offset - 1) }
        return v
    }

    private static func u32(_ r: inout ByteReader) throws(PayloadError) -> UInt32 {
        let v = try r.varint()
        guard v <= UInt64(UInt32.max) else { throw PayloadError.malformed("value \(v) exceeds 32 bits", at: r.offset) }
        return UInt32(v)
    }

    private static func optionalSession(_ r: inout ByteReader) throws(PayloadError) -> SessionID? {
        switch try r.u8() {
        case 0: return nil
        case 1: return try r.sessionID()
        case let f: throw PayloadError.malformed("bad presence flag \(f)", at: r.offset - 1)
        }
    }

    private static func seconds(_ r: inout ByteReader) throws(PayloadError) -> Timestamp {
        let v = try r.varint()
        guard v <= UInt64(Int64.max / 1_000_000) else { throw PayloadError.malformed("time \(v) s is out of range", at: r.offset) }
        return Timestamp(seconds: Int64(v))
    }

    private static func decodePayload(_ type: EventType, version: UInt8, _ r: inout ByteReader) throws(PayloadError) -> AuthEvent {
        switch type {
        case .sessionStarted:
            let s = try r.sessionID()
            if version >= 2 {
                let label = try r.sealedText(max: FieldLimits.deviceLabel), userAgent = try r.sealedText(max: FieldLimits.userAgent)
                let ip = PersonalAddress.sealed(try r.ip())
                let fingerprint = try r.u64()
                let l = SessionLifetimes(accessToken: try u32(&r), refreshToken: try u32(&r), idleTimeout: try u32(&r), absolute: try u32(&r))
                return .sessionStarted(SessionStarted(session: s, label: label, userAgent: userAgent, ip: ip, deviceFingerprint: fingerprint, lifetimes: l))
            }
            let device = Device(label: try r.string(), userAgent: try r.string(), ip: try r.ip())
            let l = SessionLifetimes(accessToken: try u32(&r), refreshToken: try u32(&r), idleTimeout: try u32(&r), absolute: try u32(&r))
            return .sessionStarted(SessionStarted(session: s, device: device, lifetimes: l))
        case .refreshRotated:
            return .refreshRotated(RefreshRotated(session: try r.sessionID(), generation: try u32(&r), address: try address(&r, version)))
        case .refreshReuseDetected:
            return .refreshReuseDetected(RefreshReuseDetected(
                session: try r.sessionID(), presentedGeneration: try u32(&r), currentGeneration: try u32(&r),
                classification: try enumValue(&r, ReuseClassification.self), address: try address(&r, version)))
        case .sessionEnded:
            let s = try r.sessionID()
            return .sessionEnded(SessionEnded(session: s, refuseUntil: version >= 2 ? try seconds(&r) : nil))
        case .sessionRevoked:
            let s = try r.sessionID(), reason = try enumValue(&r, RevocationReason.self), actor = try r.string()
            return .sessionRevoked(SessionRevoked(session: s, reason: reason, actor: actor, refuseUntil: version >= 2 ? try seconds(&r) : nil))
        case .userSessionsRevoked:
            let except = try optionalSession(&r), reason = try enumValue(&r, RevocationReason.self), actor = try r.string()
            var sessions: [EndedSession]?
            if version >= 2 {
                let n = try r.varint()
                // Each entry takes at least 17 bytes: a count beyond that is damage, not a list.
                guard n <= UInt64(r.remaining / 17) else { throw PayloadError.malformed("\(n) sessions cannot fit in the payload", at: r.offset) }
                sessions = []
                sessions!.reserveCapacity(Int(n))
                for _ in 0..<n { sessions!.append(EndedSession(session: try r.sessionID(), refuseUntil: try seconds(&r))) }
            }
            return .userSessionsRevoked(UserSessionsRevoked(except: except, reason: reason, actor: actor, sessions: sessions))
        case .userBanned:
            return .userBanned(UserBanned(actor: try r.string(), reason: try r.string()))
        case .userUnbanned:
            return .userUnbanned(UserUnbanned(actor: try r.string()))
        case .signingKeyAdded:
            return .signingKeyAdded(SigningKeyAdded(kid: try r.string(), algorithm: try r.string(), publicJWK: try r.string()))
        case .signingKeyActivated:
            return .signingKeyActivated(SigningKeyChanged(kid: try r.string()))
        case .signingKeyRetired:
            return .signingKeyRetired(SigningKeyChanged(kid: try r.string()))
        case .suspiciousActivity:
            let rule = try enumValue(&r, SuspicionRule.self), session = try optionalSession(&r)
            guard version >= 2 else { return .suspiciousActivity(SuspiciousActivity(rule: rule, session: session, detail: try r.string())) }
            let nonce = try r.bytes(SuspiciousActivity.nonceLength)
            let finding: SuspicionFinding
            switch rule {
            case .newDevice:
                finding = .newDevice(label: try r.sealedText(max: FieldLimits.deviceLabel), userAgent: try r.sealedText(max: FieldLimits.userAgent))
            case .networkChange:
                finding = .networkChange(ip: .sealed(try r.ip()), previous: .sealed(try r.ip()))
            case .tooManySessions:
                finding = .tooManySessions(active: try u32(&r), threshold: try u32(&r))
            case .refreshReuse:
                finding = .refreshReuse(classification: try enumValue(&r, ReuseClassification.self), presented: try u32(&r),
                                        current: try u32(&r), ip: .sealed(try r.ip()))
            }
            return .suspiciousActivity(SuspiciousActivity(session: session, nonce: nonce, finding: finding))
        case .userForgotten:
            return .userForgotten(UserForgotten(actor: try r.string()))
        case .apiKeyCreated:
            let id = try r.string()
            let n = try r.varint()
            // Each scope takes at least one byte: a count beyond that is damage, not a list.
            guard n <= UInt64(r.remaining) else { throw PayloadError.malformed("\(n) scopes cannot fit in the payload", at: r.offset) }
            var scopes: [String] = []
            for _ in 0..<n { scopes.append(try r.string()) }
            let label = try r.string()
            let hash = SHA256Digest(bytes: try r.bytes(32))!
            return .apiKeyCreated(APIKeyCreated(keyID: id, scopes: scopes, label: label, secretHash: hash))
        case .apiKeyRevoked:
            return .apiKeyRevoked(APIKeyRevoked(keyID: try r.string()))
        }
    }

    /// An address: in clear in schema 1, sealed in schema 2 (the same bytes either way).
    private static func address(_ r: inout ByteReader, _ version: UInt8) throws(PayloadError) -> PersonalAddress {
        let ip = try r.ip()
        return version >= 2 ? .sealed(ip) : .clear(ip)
    }
}

extension SuspiciousActivity {
    /// The nonce as stored: exactly ``nonceLength`` bytes, whatever the caller gave, so
    /// that every record written reads back.
    var storedNonce: [UInt8] {
        nonce.count == Self.nonceLength ? nonce : Array((nonce + [UInt8](repeating: 0, count: Self.nonceLength)).prefix(Self.nonceLength))
    }
}

/// A decoded event with its place in the log.
public struct LoggedEvent: Sendable, Equatable {
    public var position: UInt64
    public var timestamp: Timestamp
    public var user: String?
    public var event: AuthEvent
    /// The record's chain hash: a follower that has applied this event is at this head.
    public var chainHash: SHA256Digest

    /// Decodes a materialised record.
    public init(_ record: EventRecord) throws {
        self = try record.withView { v in try LoggedEvent(view: v) }
    }

    /// Decodes a borrowed record.
    package init(view: RecordView) throws(EventDecodingError) {
        position = view.position
        timestamp = view.timestamp
        user = view.user
        event = try AuthEvent(decoding: view)
        chainHash = view.chainHash
    }
}
