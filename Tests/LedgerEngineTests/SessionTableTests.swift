@testable import LedgerEngine
import LedgerCodec
import LedgerTesting
import Testing

@Suite("Session table")
struct SessionTableTests {
    static func packed(_ n: UInt32) -> PackedSession {
        PackedSession(createdAt: Int64(n), rotatedAt: Int64(n), lastIP: PackedIP(.v4(n)), login: UInt64(n), user: n, device: 0, generation: n, lifetimes: 0,
                      ipSealed: n % 2 == 0)
    }

    @Test("behaves like a dictionary under random inserts, updates and removals, including probe-run deletions")
    func modelCheck() {
        var rng = SeededGenerator(state: 7)
        var table = SessionTable()
        var model: [SessionID: PackedSession] = [:]
        // A small key space forces collisions and long probe runs.
        let ids = (0..<500).map { _ in SessionID(high: rng.next() & 0xff, low: rng.next() & 0xff) } + [SessionID(high: 0, low: 0)]
        for step in 0..<50_000 {
            let id = ids.randomElement(using: &rng)!
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<5:
                let v = Self.packed(UInt32(step))
                table[id] = v
                model[id] = v
            case 5..<6:
                table[id] = nil
                model[id] = nil
            case 6..<7:
                #expect(table.removeValue(forKey: id) == model.removeValue(forKey: id))
            default:
                let updated = table.update(id) { $0.generation &+= 1 }
                #expect(updated == (model[id] != nil))
                model[id]?.generation &+= 1
            }
            if step % 5_000 == 0 {
                #expect(table.count == model.count)
                for id in ids { #expect(table[id] == model[id]) }
            }
        }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == model)
        #expect(Set(table.keys) == Set(model.keys))
    }

    @Test("copies are independent (copy-on-write)")
    func copyOnWrite() {
        var a = SessionTable()
        let id = SessionID(high: 1, low: 2)
        a[id] = Self.packed(1)
        var b = a
        b.update(id) { $0.generation = 99 }
        b[SessionID(high: 3, low: 4)] = Self.packed(2)
        #expect(a[id]?.generation == 1 && a.count == 1)
        #expect(b[id]?.generation == 99 && b.count == 2)
    }
}

@Suite("Packed session")
struct PackedSessionTests {
    @Test("a table slot is one 64-byte cache line")
    func slotSize() {
        #expect(MemoryLayout<PackedSession>.size == 48)
        #expect(MemoryLayout<SessionID>.stride + MemoryLayout<PackedSession>.stride == 64)
    }

    @Test("fields set at login round-trip through the shared word at their limits")
    func packedFields() {
        let ip = PackedIP(.v6(0xfe80_0000_0000_0000, 1))
        for (login, lifetimes, sealedIP) in [(UInt64(1), UInt16(0), false), (PackedSession.maximumLoginPosition, UInt16.max, true),
                                             (123_456_789, 7, true)] {
            var sealed = PackedSession(createdAt: -5, rotatedAt: 9, lastIP: ip, login: login, user: .max, device: PackedSession.sealedDevice,
                                       generation: .max, lifetimes: lifetimes, ipSealed: sealedIP)
            #expect(sealed.login == login && sealed.device == PackedSession.sealedDevice && sealed.lifetimes == lifetimes)
            #expect(sealed.ipSealed == sealedIP && sealed.user == .max && sealed.generation == .max && sealed.lastIP == ip)
            sealed.ipSealed.toggle()
            #expect(sealed.ipSealed == !sealedIP && sealed.login == login && sealed.lifetimes == lifetimes)

            let device = UInt32(truncatingIfNeeded: login) & 0x7fff_ffff
            let clear = PackedSession(createdAt: 1, rotatedAt: 2, lastIP: ip, login: login, user: 3, device: device,
                                      generation: 4, lifetimes: lifetimes, ipSealed: sealedIP)
            // A clear login's device is in the projection, so its position is not kept.
            #expect(clear.device == device && clear.login == 0 && clear.lifetimes == lifetimes && clear.ipSealed == sealedIP)
        }
        let largestDevice = PackedSession(createdAt: 0, rotatedAt: 0, lastIP: ip, login: 0, user: 0, device: PackedSession.sealedDevice - 1,
                                          generation: 0, lifetimes: 0, ipSealed: false)
        #expect(largestDevice.device == PackedSession.sealedDevice - 1)
    }
}
