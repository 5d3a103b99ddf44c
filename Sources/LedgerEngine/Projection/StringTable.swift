import CMemory
import LedgerCrypto

/// Interned user names, referred to by number: a session holds its user's number and the
/// users' records are indexed by it (``UserTable``), so only what names a user (a login, a
/// ban, a lookup by name, loading a snapshot) hashes the name; logouts, revocations and
/// expiry do not.
///
/// Names are compared by their exact UTF-8 bytes (user ids are opaque: canonically
/// equivalent spellings are two users). They are found through an open-addressing table
/// (linear probing) of 8-byte slots, each the low 32 bits of the name's ``hash(_:)`` and
/// its number + 1 (0: vacant). A table of our own rather than a `Dictionary` so that replay
/// can hash a login's name on its reading thread and start loading the slot, the name and
/// the user's record a few records before applying it (``prefetch(hash:)``,
/// ``candidate(hash:)``): with hundreds of thousands of users, a lookup otherwise waits on
/// memory three times in a row (BENCHMARKS.md, "Rebuild: prefetching users").
struct StringTable: Sendable {
    private(set) var strings: [String] = []
    /// Each name's hash, by number, so that growing does not hash every name again.
    private var hashes: [UInt64] = []
    private var slots: [UInt64] = []

    init() {}
    init(_ strings: [String]) {
        for s in strings { _ = intern(s) }
    }

    /// The hash names are kept by: `ExactString`'s (the standard library's SipHash of the
    /// name's UTF-8 bytes, under the process's random seed, so that nobody outside can
    /// choose names that collide). The same on every thread of one process, and never
    /// written to disk (snapshots keep the names and rebuild the table).
    static func hash(_ name: String) -> UInt64 { UInt64(UInt(bitPattern: ExactString(name).hashValue)) }

    subscript(_ i: UInt32) -> String { strings[Int(i)] }

    // In both calls `hash` is ``hash(_:)`` of the name, when the caller has worked it out
    // already (another value would file the name under another hash).

    /// The number of `name`, if it has been interned.
    func lookup(_ name: String, hash: UInt64? = nil) -> UInt32? { find(name, hash: hash ?? Self.hash(name)).number }

    /// The number of `name`, interning it if it is new.
    mutating func intern(_ name: String, hash: UInt64? = nil) -> UInt32 {
        let hash = hash ?? Self.hash(name)
        let (slot, number) = find(name, hash: hash)
        if let number { return number }
        precondition(strings.count < Int(UInt32.max) - 1, "more than 4,294,967,294 user names")
        let n = UInt32(strings.count)
        strings.append(name)
        hashes.append(hash)
        if strings.count * 4 > slots.count * 3 {
            grow()
        } else {
            slots[slot] = Self.slot(hash, n)
        }
        return n
    }

    /// Starts loading the slot where the probe for a name with this hash begins.
    @inline(__always)
    func prefetch(hash: UInt64) {
        guard !slots.isEmpty else { return }
        let i = home(hash)
        slots.withUnsafeBufferPointer { authledger_prefetch($0.baseAddress! + i) }
    }

    /// A little later, when that slot is in cache: the number of the first name in the
    /// probe run whose hash bits match, probably the name's own, for the caller to start
    /// loading what the name's number leads to. The name starts loading here: all of it
    /// for names of up to 15 UTF-8 bytes, which a `String` holds inline; only its header for
    /// longer ones, whose bytes are one more miss when the login is applied.
    /// Only a hint: ``intern(_:hash:)`` compares the bytes.
    @inline(__always)
    func candidate(hash: UInt64) -> UInt32? {
        guard !slots.isEmpty else { return nil }
        var i = home(hash)
        while slots[i] != 0 {
            if let n = Self.number(in: slots[i], tag: hash) {
                strings.withUnsafeBufferPointer { authledger_prefetch($0.baseAddress! + Int(n)) }
                return n
            }
            i = after(i)
        }
        return nil
    }

    @inline(__always)
    private func home(_ hash: UInt64) -> Int {
        Int(hash.multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    /// The slot after `i` in a probe run, wrapping at the end.
    @inline(__always)
    private func after(_ i: Int) -> Int { i + 1 == slots.count ? 0 : i + 1 }

    private static func slot(_ hash: UInt64, _ number: UInt32) -> UInt64 {
        (UInt64(number) + 1) << 32 | (hash & 0xffff_ffff)
    }

    /// The number a slot holds if its hash bits are those of `hash` (nil for a vacant slot).
    @inline(__always)
    private static func number(in slot: UInt64, tag hash: UInt64) -> UInt32? {
        slot != 0 && slot & 0xffff_ffff == hash & 0xffff_ffff ? UInt32(slot >> 32) - 1 : nil
    }

    /// The name's number if present, else the vacant slot where it would go.
    private func find(_ name: String, hash: UInt64) -> (slot: Int, number: UInt32?) {
        guard !slots.isEmpty else { return (0, nil) }
        var i = home(hash)
        while slots[i] != 0 {
            if let n = Self.number(in: slots[i], tag: hash), strings[Int(n)].hasSameBytes(as: name) { return (i, n) }
            i = after(i)
        }
        return (i, nil)
    }

    /// Doubles the table (at three quarters full) and places every name again.
    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: max(16, slots.count * 2))
        for (n, hash) in hashes.enumerated() {
            var i = home(hash)
            while slots[i] != 0 { i = after(i) }
            slots[i] = Self.slot(hash, UInt32(n))
        }
    }
}
