import LedgerCrypto
import LedgerCodec
import LedgerLog

/// An IP address in 16 bytes: IPv4 as an IPv4-mapped IPv6 address, unknown as all zeros.
struct PackedIP: Hashable, Sendable {
    var hi: UInt64
    var lo: UInt64

    init(_ ip: IPAddress) {
        switch ip {
        case .unknown: hi = 0; lo = 0
        case let .v4(v): hi = 0; lo = 0x0000_ffff_0000_0000 | UInt64(v)
        case let .v6(h, l): hi = h; lo = l
        }
    }

    init(hi: UInt64, lo: UInt64) { self.hi = hi; self.lo = lo }

    var address: IPAddress {
        if hi == 0 && lo == 0 { return .unknown }
        if hi == 0 && lo >> 32 == 0xffff { return .v4(UInt32(truncatingIfNeeded: lo)) }
        return .v6(hi, lo)
    }
}

/// A session as the live projection stores it: 56 bytes with no references, so a million
/// of them are one flat allocation that copies with a memcpy. Strings (user, device) and
/// lifetimes are interned in the projection's tables.
struct PackedSession: Sendable, Equatable {
    var createdAt: Int64
    /// The last rotation (or the login); also the last time the session was seen.
    var rotatedAt: Int64
    /// The last address as the log holds it (ciphertext when ``ipSealed``).
    var lastIP: PackedIP
    /// The position of the login record, where a sealed login's label and user agent are.
    var login: UInt64
    var user: UInt32
    /// The interned clear device of a schema 1 login; ``sealedDevice`` for a sealed one.
    var device: UInt32
    var generation: UInt32
    var lifetimes: UInt16
    var ipSealed: Bool

    static let sealedDevice = UInt32.max
}

/// Interned strings, referred to by index.
struct StringTable: Sendable {
    private(set) var strings: [String] = []
    // By exact bytes: user ids are opaque, so canonically equivalent spellings are two users.
    private var index: [ExactString: UInt32] = [:]

    mutating func intern(_ s: String) -> UInt32 {
        let key = ExactString(s)
        if let i = index[key] { return i }
        let i = UInt32(strings.count)
        strings.append(s)
        index[key] = i
        return i
    }

    /// The number of `s`, if it has been interned.
    func lookup(_ s: String) -> UInt32? { index[ExactString(s)] }

    subscript(_ i: UInt32) -> String { strings[Int(i)] }

    init() {}
    init(_ strings: [String]) {
        for s in strings { _ = intern(s) }
    }
}

/// Interned devices (label and user agent) and lifetimes.
struct DeviceTable: Sendable {
    private(set) var devices: [Device] = []
    // Keyed by the device's 64-bit fingerprint, so a login hashes no strings here; the
    // strings are compared on a hit, and the rare fingerprint collision falls back to
    // `collisions`.
    private var index: [UInt64: UInt32] = [:]
    private var collisions: [Device: UInt32] = [:]
    private(set) var lifetimes: [SessionLifetimes] = []

    /// - Parameter fp: `d.fingerprint` (the caller has usually worked it out already).
    mutating func intern(_ d: Device, fingerprint fp: UInt64) -> UInt32 {
        if let i = index[fp] {
            if devices[Int(i)] == d { return i }
            if let j = collisions[d] { return j }
            let j = UInt32(devices.count)
            devices.append(d)
            collisions[d] = j
            return j
        }
        let i = UInt32(devices.count)
        devices.append(d)
        index[fp] = i
        return i
    }

    mutating func intern(_ l: SessionLifetimes) -> UInt16 {
        if let i = lifetimes.firstIndex(of: l) { return UInt16(i) }
        precondition(lifetimes.count < Int(UInt16.max), "more than 65,535 distinct lifetime settings")
        lifetimes.append(l)
        return UInt16(lifetimes.count - 1)
    }

    subscript(device i: UInt32) -> Device { devices[Int(i)] }
    subscript(lifetimes i: UInt16) -> SessionLifetimes { lifetimes[Int(i)] }

    init() {}
    init(devices: [Device], lifetimes: [SessionLifetimes]) {
        for d in devices {
            let d = Device(label: d.label, userAgent: d.userAgent, ip: .unknown)
            _ = intern(d, fingerprint: d.fingerprint)
        }
        self.lifetimes = lifetimes
    }
}
