import LedgerCrypto

/// A session's identity: 128 random bits, printed as 32 hex digits.
public struct SessionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) { self.high = high; self.low = low }

    /// A fresh, unpredictable session id.
    public static func random() -> SessionID { SessionID(high: SecureRandom.word(), low: SecureRandom.word()) }

    /// Parses 32 hex digits (either case). Runs on every stateful access-token check.
    public init?(hex: String) {
        var text = hex
        let words: (UInt64, UInt64)? = text.withUTF8 { u in
            guard u.count == 32 else { return nil }
            var h: UInt64 = 0, l: UInt64 = 0
            for i in 0..<32 {
                guard let d = Hex.value(u[i]) else { return nil }
                if i < 16 { h = h << 4 | UInt64(d) } else { l = l << 4 | UInt64(d) }
            }
            return (h, l)
        }
        guard let words else { return nil }
        self.init(high: words.0, low: words.1)
    }

    /// Reads 16 big-endian bytes.
    public init?(bytes: ArraySlice<UInt8>) {
        guard bytes.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        self.init(high: h, low: l)
    }

    /// The 16 bytes, big-endian, as they appear in tokens and payloads.
    public var bytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 16) { out, n in
            for i in 0..<8 {
                out[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * i))
                out[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * i))
            }
            n = 16
        }
    }

    /// 32 lower-case hex digits, written directly (this goes into every access token).
    public var description: String {
        String(unsafeUninitializedCapacity: 32) { out in
            for i in 0..<16 {
                out[i] = Hex.digit(UInt8(truncatingIfNeeded: high >> (60 - 4 * i)) & 0x0f)
                out[16 + i] = Hex.digit(UInt8(truncatingIfNeeded: low >> (60 - 4 * i)) & 0x0f)
            }
            return 32
        }
    }

    /// Session ids are random, so one mixed word is as good a hash input as both.
    public func hash(into hasher: inout Hasher) { hasher.combine(high ^ (low &* 0x9e37_79b9_7f4a_7c15)) }

    public static func < (a: SessionID, b: SessionID) -> Bool { (a.high, a.low) < (b.high, b.low) }
}

/// An IPv4 or IPv6 address as the client was seen from, or `.unknown`.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    case unknown
    case v4(UInt32)
    case v6(UInt64, UInt64)

    /// Parses dotted-quad IPv4 or colon-hex IPv6 (with `::`); nil if neither.
    public init?(_ text: String) {
        if text.isEmpty { self = .unknown; return }
        let quads = text.split(separator: ".", omittingEmptySubsequences: false)
        if quads.count == 4 {
            var v: UInt32 = 0
            for q in quads {
                guard !q.isEmpty, q.count <= 3, let n = UInt32(q), n < 256 else { return nil }
                v = v << 8 | n
            }
            self = .v4(v)
            return
        }
        guard text.contains(":") else { return nil }
        let halves = Self.splitDoubleColon(text)
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let n = UInt16(g, radix: 16) else { return nil }
                out.append(n)
            }
            return out
        }
        guard let head = groups(halves[0]) else { return nil }
        var all = head
        if halves.count == 2 {
            guard let tail = groups(halves[1]), head.count + tail.count <= 7 else { return nil }
            all += Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        }
        guard all.count == 8 else { return nil }
        let hi = all[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let lo = all[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        self = .v6(hi, lo)
    }

    private static func splitDoubleColon(_ s: String) -> [String] {
        var parts: [String] = []
        var rest = Substring(s)
        while let r = rest.firstRange(of: "::") {
            parts.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        parts.append(String(rest))
        return parts
    }

    /// The same address in one canonical form: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`)
    /// as IPv4, and `::` as unknown, so equal addresses always compare equal.
    public var normalized: IPAddress {
        switch self {
        case let .v6(h, l) where h == 0 && l >> 32 == 0xffff: return .v4(UInt32(truncatingIfNeeded: l))
        case .v6(0, 0): return .unknown
        default: return self
        }
    }

    /// The network the address belongs to for "new network" rules: the /24 of an IPv4
    /// address, the /48 of an IPv6 address.
    public var network: IPAddress {
        switch normalized {
        case .unknown: return .unknown
        case let .v4(v): return .v4(v & 0xffff_ff00)
        case let .v6(h, _): return .v6(h & 0xffff_ffff_ffff_0000, 0)
        }
    }

    public var description: String {
        switch self {
        case .unknown: return "unknown"
        case let .v4(v): return "\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)"
        case let .v6(h, l):
            let g = (0..<4).map { String(UInt16(truncatingIfNeeded: h >> (48 - 16 * $0)), radix: 16) }
                + (0..<4).map { String(UInt16(truncatingIfNeeded: l >> (48 - 16 * $0)), radix: 16) }
            return g.joined(separator: ":")
        }
    }
}

extension ByteWriter {
    public mutating func sessionID(_ id: SessionID) {
        u64(id.high)
        u64(id.low)
    }

    /// One family byte (0 unknown, 4, 6) then 0, 4 or 16 address bytes.
    public mutating func ip(_ ip: IPAddress) {
        switch ip {
        case .unknown: u8(0)
        case let .v4(v): u8(4); u32(v)
        case let .v6(h, l): u8(6); u64(h); u64(l)
        }
    }
}

extension ByteReader {
    public mutating func sessionID() throws(PayloadError) -> SessionID {
        let h = try u64()
        return SessionID(high: h, low: try u64())
    }

    public mutating func ip() throws(PayloadError) -> IPAddress {
        switch try u8() {
        case 0: return .unknown
        case 4: return .v4(try u32())
        case 6: let h = try u64(); return .v6(h, try u64())
        case let f: throw PayloadError.malformed("unknown address family \(f)", at: offset - 1)
        }
    }
}
