@testable import LedgerEngine
import LedgerTesting
import Testing

@Suite("User-name table")
struct StringTableTests {
    @Test("numbers names in order of first appearance and finds each again, across growth")
    func numbersAndFinds() {
        var table = StringTable()
        var rng = SeededGenerator(state: 11)
        let names = (0..<20_000).map { "user-\($0)-\(rng.next() % 1_000)" }
        for (n, name) in names.enumerated() {
            #expect(table.intern(name) == UInt32(n))
        }
        #expect(table.strings == names)
        for (n, name) in names.enumerated().shuffled(using: &rng) {
            #expect(table.lookup(name) == UInt32(n))
            #expect(table.intern(name) == UInt32(n))
            #expect(table[UInt32(n)] == name)
        }
        #expect(table.strings.count == names.count)
        #expect(table.lookup("user-absent") == nil)
        #expect(table.lookup("") == nil)
        #expect(table.intern("") == UInt32(names.count))
        #expect(table.lookup("") == UInt32(names.count))
    }

    @Test("names that differ in any byte are two names, however Unicode compares them")
    func exactBytes() {
        var table = StringTable()
        let composed = "Jos\u{e9}", decomposed = "Jose\u{301}", ligature = "\u{fb01}le", letters = "file"
        #expect(composed == decomposed)
        let numbers = [composed, decomposed, ligature, letters, "jose", "Jos\u{e9} "].map { table.intern($0) }
        #expect(Set(numbers).count == numbers.count)
        #expect(table.lookup(decomposed) == numbers[1])
        #expect(table.lookup(composed) == numbers[0])
        #expect(StringTable.hash(composed) != StringTable.hash(decomposed))
    }

    @Test("names whose hashes collide stay apart, also once the table has grown")
    func collidingHashes() {
        var table = StringTable()
        // The hash is the caller's to give: every name here claims the same one, the worst
        // case, so each is told apart by its bytes alone along one long probe run.
        let names = (0..<300).map { "n\($0)" }
        for (n, name) in names.enumerated() {
            #expect(table.intern(name, hash: 42) == UInt32(2 * n))
            _ = table.intern("filler-\(n)")
        }
        for (n, name) in names.enumerated() {
            #expect(table.intern(name, hash: 42) == UInt32(2 * n))
            #expect(table.lookup(name, hash: 42) == UInt32(2 * n))
        }
        #expect(table.lookup("n300", hash: 42) == nil)
        // Same low 32 bits (the bits a slot keeps), another home.
        let n = table.intern("other", hash: 42 | 1 << 63)
        #expect(n == 600)
        #expect(table.lookup("other", hash: 42 | 1 << 63) == 600)
        #expect(table.lookup("n0", hash: 42) == 0)
    }

    @Test("a probe run that starts at the last slot wraps around to the first")
    func wrapsAround() {
        var table = StringTable()
        // The highest hash's home is the last slot, whatever the table's size.
        let names = (0..<40).map { "wrap-\($0)" }
        for (n, name) in names.enumerated() { #expect(table.intern(name, hash: .max) == UInt32(n)) }
        for (n, name) in names.enumerated() {
            #expect(table.lookup(name, hash: .max) == UInt32(n))
            #expect(table.intern(name, hash: .max) == UInt32(n))
        }
        #expect(table.candidate(hash: .max) == 0)
        #expect(table.lookup("wrap-40", hash: .max) == nil)
        #expect(table.strings == names)
    }

    @Test("the prefetch hint names the number a login will find, and nothing for a new name")
    func candidateHint() {
        var table = StringTable()
        #expect(table.candidate(hash: StringTable.hash("alice")) == nil)
        for i in 0..<1_000 { _ = table.intern("user-\(i)") }
        for i in stride(from: 0, to: 1_000, by: 37) {
            #expect(table.candidate(hash: StringTable.hash("user-\(i)")) == UInt32(i))
        }
        // A hint only: a hash matching no slot's bits gives none.
        var misses = 0
        for i in 1_000..<1_100 where table.candidate(hash: StringTable.hash("user-\(i)")) == nil { misses += 1 }
        #expect(misses > 90)
    }

    @Test("a table built from a snapshot's list keeps its numbering, and a repeated name is dropped")
    func fromList() {
        let table = StringTable(["b", "a", "c"])
        #expect(table.lookup("b") == 0 && table.lookup("a") == 1 && table.lookup("c") == 2)
        #expect(StringTable(["a", "b", "a"]).strings == ["a", "b"])
    }
}
