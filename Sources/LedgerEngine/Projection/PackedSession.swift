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

/// A session as the live projection stores it: 48 bytes with no references, so a million
/// of them are one flat allocation that copies with a memcpy, and a ``SessionTable`` slot
/// (id and value) is one 64-byte cache line. Strings (user, device) and lifetimes are
/// interned in the projection's tables.
///
/// The fields set once at login share one word (`origin`): a 46-bit device index or login
/// position, two flags and the 16-bit lifetimes index. Replay is mostly lookups in the
/// session table, where a slot that straddles two cache lines costs a second miss
/// (BENCHMARKS.md, "Rebuild and the session slot").
struct PackedSession: Sendable, Equatable {
    var createdAt: Int64
    /// The last rotation (or the login); also the last time the session was seen.
    var rotatedAt: Int64
    /// The last address as the log holds it (ciphertext when ``ipSealed``).
    var lastIP: PackedIP
    var user: UInt32
    var generation: UInt32
    private var origin: UInt64

    static let sealedDevice = UInt32.max
    /// Positions (and device indexes) up to 2⁴⁶ − 1: 70 trillion events.
    static let maximumLoginPosition: UInt64 = 1 << 46 - 1

    private static let lifetimesMask: UInt64 = 0xffff
    private static let ipSealedBit: UInt64 = 1 << 16
    private static let sealedLoginBit: UInt64 = 1 << 17
    private static let originShift: UInt64 = 18

    /// - Parameters:
    ///   - login: the position of the login record; kept only for a sealed login
    ///     (`device == sealedDevice`), whose label and user agent are read from it.
    ///   - device: the interned clear device of a schema 1 login, or ``sealedDevice``.
    init(createdAt: Int64, rotatedAt: Int64, lastIP: PackedIP, login: UInt64, user: UInt32, device: UInt32,
         generation: UInt32, lifetimes: UInt16, ipSealed: Bool) {
        precondition(login <= Self.maximumLoginPosition, "log position \(login) beyond 2^46")
        self.createdAt = createdAt
        self.rotatedAt = rotatedAt
        self.lastIP = lastIP
        self.user = user
        self.generation = generation
        let sealed = device == Self.sealedDevice
        origin = (sealed ? login : UInt64(device)) << Self.originShift | (sealed ? Self.sealedLoginBit : 0)
            | (ipSealed ? Self.ipSealedBit : 0) | UInt64(lifetimes)
    }

    /// The interned clear device of a schema 1 login; ``sealedDevice`` for a sealed one.
    var device: UInt32 {
        origin & Self.sealedLoginBit != 0 ? Self.sealedDevice : UInt32(truncatingIfNeeded: origin >> Self.originShift)
    }

    /// The position of a sealed login's record, where its label and user agent are; 0 for a
    /// clear login, whose device is in the projection.
    var login: UInt64 { origin & Self.sealedLoginBit != 0 ? origin >> Self.originShift : 0 }

    var lifetimes: UInt16 { UInt16(truncatingIfNeeded: origin & Self.lifetimesMask) }

    var ipSealed: Bool {
        get { origin & Self.ipSealedBit != 0 }
        set { origin = newValue ? origin | Self.ipSealedBit : origin & ~Self.ipSealedBit }
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
            // Compared in place: `devices[i] == d` copies the element out, a retain and
            // release of both its strings on every login replayed.
            if devices.withUnsafeBufferPointer({ $0[Int(i)] == d }) { return i }
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
