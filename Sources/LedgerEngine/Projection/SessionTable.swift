import CMemory
import LedgerCodec

/// The live sessions, in one flat open-addressing table (linear probing) of 64-byte slots
/// (a 16-byte id and a 48-byte ``PackedSession``): one cache line each.
///
/// Session ids are 128 random bits, so their bits are already uniform: a slot is found with
/// one multiply instead of SipHash, and the table can run fuller than `Dictionary` (which
/// doubles at 75%): it grows by half at 85%. Replay, the hot path of start-up, is mostly
/// lookups here. Value semantics (copy-on-write) like any Swift collection, so a snapshot
/// can copy the table in O(1) until the writer next changes it.
struct SessionTable: Sendable, Sequence {
    private struct Slot: Sendable {
        var id: SessionID
        var value: PackedSession
    }

    // An all-zero id marks a vacant slot (no optional: that would add a tag byte and pad
    // every slot by 8 more bytes); the (never generated) zero id is kept aside.
    private var slots: ContiguousArray<Slot> = []
    private var zero: PackedSession?
    private(set) var count = 0

    private static let empty = SessionID(high: 0, low: 0)

    init() {}

    @inline(__always)
    private func home(_ id: SessionID) -> Int {
        Int((id.low ^ id.high).multipliedFullWidth(by: UInt64(slots.count)).high)
    }

    /// The slot holding `id`, if any.
    @inline(__always)
    private func find(_ id: SessionID) -> Int? {
        guard !slots.isEmpty else { return nil }
        var i = home(id)
        while slots[i].id != Self.empty {
            if slots[i].id == id { return i }
            i += 1
            if i == slots.count { i = 0 }
        }
        return nil
    }

    /// Starts loading the slot where `id`'s probe begins, so that a lookup a little later
    /// finds it in cache: with a large table almost every lookup is otherwise a miss.
    /// The first few slots of the probe run are fetched: at the load factors the table
    /// runs at, a successful lookup reads two to four consecutive slots on average.
    @inline(__always)
    func prefetch(_ id: SessionID) {
        guard !slots.isEmpty else { return }
        let i = home(id)
        slots.withUnsafeBufferPointer { s in
            authledger_prefetch(s.baseAddress! + i)
            if i + 2 < s.count {
                authledger_prefetch(s.baseAddress! + i + 1)
                authledger_prefetch(s.baseAddress! + i + 2)
            }
        }
    }

    subscript(id: SessionID) -> PackedSession? {
        get {
            if id == Self.empty { return zero }
            return find(id).map { slots[$0].value }
        }
        set {
            if id == Self.empty {
                count += (newValue != nil ? 1 : 0) - (zero != nil ? 1 : 0)
                zero = newValue
                return
            }
            if let newValue { insert(id, newValue) } else { removeValue(forKey: id) }
        }
    }

    /// Changes a session in place; false if it does not exist.
    @discardableResult
    mutating func update(_ id: SessionID, _ body: (inout PackedSession) -> Void) -> Bool {
        if id == Self.empty {
            guard zero != nil else { return false }
            body(&zero!)
            return true
        }
        guard let i = find(id) else { return false }
        body(&slots[i].value)
        return true
    }

    private mutating func insert(_ id: SessionID, _ value: PackedSession) {
        if let i = find(id) {
            slots[i].value = value
            return
        }
        if (count + 1) * 100 > slots.count * 85 { grow() }
        insertNew(Slot(id: id, value: value))
    }

    /// Places an id known to be absent (no lookup first).
    @inline(__always)
    private mutating func insertNew(_ slot: Slot) {
        var i = home(slot.id)
        while slots[i].id != Self.empty {
            i += 1
            if i == slots.count { i = 0 }
        }
        slots[i] = slot
        count += 1
    }

    /// Removes a session, returning it. Backward-shift deletion: later entries of the probe
    /// run move up, so no tombstones.
    @discardableResult
    mutating func removeValue(forKey id: SessionID) -> PackedSession? {
        if id == Self.empty {
            defer { self[id] = nil }
            return zero
        }
        guard var hole = find(id) else { return nil }
        let removed = slots[hole].value
        slots[hole].id = Self.empty
        count -= 1
        var j = hole
        while true {
            j += 1
            if j == slots.count { j = 0 }
            let slot = slots[j]
            guard slot.id != Self.empty else { return removed }
            let h = home(slot.id)
            // Move the entry into the hole unless its home lies cyclically in (hole, j].
            let inRange = hole <= j ? (h > hole && h <= j) : (h > hole || h <= j)
            if !inRange {
                slots[hole] = slot
                slots[j].id = Self.empty
                hole = j
            }
        }
    }

    private static let vacant = Slot(id: empty, value: PackedSession(createdAt: 0, rotatedAt: 0, lastIP: PackedIP(hi: 0, lo: 0), login: 0,
                                                                      user: 0, device: 0, generation: 0, lifetimes: 0, ipSealed: false))

    private mutating func grow() { rehash(capacity: Swift.max(16, slots.count + slots.count / 2 + 1)) }

    /// Makes room for `n` sessions without growing.
    mutating func reserveCapacity(_ n: Int) {
        if n * 100 > slots.count * 85 { rehash(capacity: n * 100 / 85 + 1) }
    }

    private mutating func rehash(capacity: Int) {
        let old = slots
        slots = ContiguousArray(unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let bytes = capacity * MemoryLayout<Slot>.stride
            if bytes >= 8 << 20, let base = buffer.baseAddress { authledger_advise_huge_pages(base, bytes) }
            buffer.initialize(repeating: Self.vacant)
            initialized = capacity
        }
        count = zero == nil ? 0 : 1
        // Ids in the old table are distinct and the new one has room: place them directly.
        for slot in old where slot.id != Self.empty { insertNew(slot) }
    }

    func makeIterator() -> AnyIterator<(key: SessionID, value: PackedSession)> {
        var i = 0
        var zeroPending = zero != nil
        return AnyIterator {
            if zeroPending {
                zeroPending = false
                return (Self.empty, zero!)
            }
            while i < slots.count {
                defer { i += 1 }
                if slots[i].id != Self.empty { return (slots[i].id, slots[i].value) }
            }
            return nil
        }
    }

    var keys: [SessionID] { map(\.key) }
}
