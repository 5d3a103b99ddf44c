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
