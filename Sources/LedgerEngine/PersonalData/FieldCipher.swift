import LedgerCodec
import LedgerCrypto

/// Seals and reveals the personal fields of one event: the key stream of (user key, event
/// type, IV context), cut into fixed slots so that each field of the event has bytes of
/// its own and no byte of the stream serves two fields (see `docs/EVENTS.md`, "Personal
/// data"). The same value seals (the writer) and reveals (queries, audit); without a key
/// it seals nothing (the benchmark baseline writes clear schema 1) and reveals `erased`.
struct FieldCipher {
    let key: UserDataKey?
    let type: EventType
    let context: [UInt8]

    /// Key-stream offsets. Addresses first, at fixed 16-byte slots, so that an address can
    /// be revealed without knowing the lengths of the texts after it; texts after them.
    enum Slot {
        static let address = 0
        static let secondAddress = 16
        static let loginLabel = 16
        static let flagLabel = 0
    }

    func seal(_ text: String, at offset: Int) -> PersonalText {
        guard let key else { return .clear(text) }
        return .sealed(key.apply(type: type, context: context, offset: offset, to: Array(text.utf8)))
    }

    func seal(_ ip: IPAddress, at offset: Int) -> PersonalAddress {
        guard let key else { return .clear(ip) }
        return .sealed(Self.crypt(ip, key, type, context, offset))
    }

    /// The text; `erased` without a key. Ciphertext always reveals to some bytes: invalid
    /// UTF-8 (only from damage the chain would show) is repaired rather than refused.
    func reveal(_ t: PersonalText, at offset: Int) -> PersonalText {
        guard case let .sealed(bytes) = t else { return t }
        guard let key else { return .erased }
        return .clear(String(decoding: key.apply(type: type, context: context, offset: offset, to: bytes), as: UTF8.self))
    }

    func reveal(_ a: PersonalAddress, at offset: Int) -> PersonalAddress {
        guard case let .sealed(ip) = a else { return a }
        if ip == .unknown { return .clear(.unknown) }
        guard let key else { return .erased }
        return .clear(Self.crypt(ip, key, type, context, offset))
    }

    /// XORs the address bytes (as the record stores them) with the key stream; the family
    /// stays. Encrypts and decrypts alike.
    private static func crypt(_ ip: IPAddress, _ key: UserDataKey, _ type: EventType, _ context: [UInt8], _ offset: Int) -> IPAddress {
        var w = ByteWriter(capacity: 17)
        w.ip(ip)
        let body = Array(w.bytes.dropFirst())
        guard !body.isEmpty else { return ip }
        let x = key.apply(type: type, context: context, offset: offset, to: body)
        func le(_ bytes: ArraySlice<UInt8>) -> UInt64 { bytes.reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        switch ip {
        case .unknown: return .unknown
        case .v4: return .v4(UInt32(le(x[0..<4])))
        case .v6: return .v6(le(x[0..<8]), le(x[8..<16]))
        }
    }
}

extension FieldCipher {
    /// The fields of `session.started` of session `s`.
    static func login(_ key: UserDataKey?, _ s: SessionID) -> FieldCipher { FieldCipher(key: key, type: .sessionStarted, context: IVContext.login(s)) }
    /// The address of the rotation that issued `generation`.
    static func rotation(_ key: UserDataKey?, _ s: SessionID, generation: UInt32) -> FieldCipher {
        FieldCipher(key: key, type: .refreshRotated, context: IVContext.rotation(s, generation: generation))
    }
    static func reuse(_ key: UserDataKey?, _ s: SessionID, presented: UInt32, current: UInt32) -> FieldCipher {
        FieldCipher(key: key, type: .refreshReuseDetected, context: IVContext.reuse(s, presented: presented, current: current))
    }
    static func flag(_ key: UserDataKey?, nonce: [UInt8]) -> FieldCipher { FieldCipher(key: key, type: .suspiciousActivity, context: nonce) }

    /// Where a session's last address came from: its login while at generation 1, else
    /// the rotation that issued its generation (both set the address and the generation
    /// together, and nothing else sets either).
    static func lastAddress(_ key: UserDataKey?, _ s: SessionID, generation: UInt32) -> FieldCipher {
        generation <= 1 ? login(key, s) : rotation(key, s, generation: generation)
    }
}

extension AuthEvent {
    /// The event with its sealed fields revealed under `key` (`erased` without one).
    func revealed(with key: UserDataKey?) -> AuthEvent {
        switch self {
        case var .sessionStarted(e) where e.deviceFingerprint != nil:
            let c = FieldCipher.login(key, e.session)
            e.ip = c.reveal(e.ip, at: FieldCipher.Slot.address)
            let labelLength = { if case let .sealed(b) = e.label { b.count } else { 0 } }()
            e.label = c.reveal(e.label, at: FieldCipher.Slot.loginLabel)
            e.userAgent = c.reveal(e.userAgent, at: FieldCipher.Slot.loginLabel + labelLength)
            return .sessionStarted(e)
        case var .refreshRotated(e) where e.ip.isSealed:
            e.ip = FieldCipher.rotation(key, e.session, generation: e.generation).reveal(e.ip, at: FieldCipher.Slot.address)
            return .refreshRotated(e)
        case var .refreshReuseDetected(e) where e.ip.isSealed:
            e.ip = FieldCipher.reuse(key, e.session, presented: e.presentedGeneration, current: e.currentGeneration)
                .reveal(e.ip, at: FieldCipher.Slot.address)
            return .refreshReuseDetected(e)
        case var .suspiciousActivity(e) where e.detail == nil:
            let c = FieldCipher.flag(key, nonce: e.nonce)
            switch e.finding {
            case let .newDevice(label, userAgent):
                let labelLength = { if case let .sealed(b) = label { b.count } else { 0 } }()
                e.finding = .newDevice(label: c.reveal(label, at: FieldCipher.Slot.flagLabel),
                                       userAgent: c.reveal(userAgent, at: FieldCipher.Slot.flagLabel + labelLength))
            case let .networkChange(ip, previous):
                e.finding = .networkChange(ip: c.reveal(ip, at: FieldCipher.Slot.address), previous: c.reveal(previous, at: FieldCipher.Slot.secondAddress))
            case let .refreshReuse(kind, presented, current, ip):
                e.finding = .refreshReuse(classification: kind, presented: presented, current: current, ip: c.reveal(ip, at: FieldCipher.Slot.address))
            case .text, .tooManySessions:
                break
            }
            return .suspiciousActivity(e)
        default:
            return self
        }
    }

    /// Whether the event holds sealed fields (and so needs its user's key to be read).
    var hasSealedFields: Bool {
        switch self {
        case let .sessionStarted(e): e.deviceFingerprint != nil
        case let .refreshRotated(e): e.ip.isSealed
        case let .refreshReuseDetected(e): e.ip.isSealed
        case let .suspiciousActivity(e): e.detail == nil
        default: false
        }
    }
}
