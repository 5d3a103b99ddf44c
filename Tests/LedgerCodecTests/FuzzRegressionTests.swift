import Foundation
import LedgerCodec
import Testing

/// Inputs the fuzz targets of tools/fuzz found (docs/FAULTS.md, "Fuzzing"): each is now
/// refused with a typed error naming its position.
@Suite("Fuzz regressions: records")
struct RecordFuzzRegressionTests {
    /// A `user.banned` record from a real log (position 15 of `authledger demo`): the
    /// envelope, `user`, the payload (by "admin:demo", reason "abuse") and a chain hash,
    /// which decoding does not check.
    static func banned(user: [UInt8]) -> EventRecord {
        let envelope: [UInt8] = [0x01, 0x07, 0x01, UInt8(user.count), 0x07, 0x38, 0x8a, 0x18, 0xe8, 0x72, 0x61, 0x06]
        let payload = [0x0a] + Array("admin:demo".utf8) + [0x05] + Array("abuse".utf8)
        return EventRecord(position: 15, storedBytes: envelope + user + payload + [UInt8](repeating: 0, count: 32))
    }

    @Test("the record as the log holds it decodes, with an ASCII or a non-ASCII user id")
    func validUser() throws {
        #expect(try LoggedEvent(Self.banned(user: Array("mallory".utf8))).user == "mallory")
        #expect(try LoggedEvent(Self.banned(user: Array("mällory".utf8))).user == "mällory")
    }

    /// fuzz-record: 100 bytes 0xFF as the user id decoded as 100 replacement characters,
    /// a 300-byte id that no writer accepts (at most 255 bytes), so the decoded event did
    /// not encode again.
    @Test("a user id that is not UTF-8 is refused, not read with replacement characters")
    func invalidUTF8User() {
        for user: [UInt8] in [[UInt8](repeating: 0xff, count: 100), [0x6d, 0xc3, 0x28], [0xed, 0xa0, 0x80], [0x61, 0xe2, 0x82]] {
            let error = #expect(throws: EventDecodingError.self) { try LoggedEvent(Self.banned(user: user)) }
            #expect(error?.kind == .invalidUser(type: .userBanned))
            #expect(error?.position == 15)
        }
    }

    /// The fuzz target's seeds are the records of a real log (tools/fuzz/make-seeds.py): they
    /// must stay decodable, or the fuzzer would start from refusals only.
    @Test("every record of the fuzz seed corpus decodes, with the user id it stores")
    func seedCorpus() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/fuzz/corpus/record")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names.count >= 28)
        for name in names {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
            let event = try LoggedEvent(EventRecord(position: 1, storedBytes: bytes))
            let stored = bytes[3] == 0 ? nil : Array(bytes[12..<(12 + Int(bytes[3]))])
            #expect(event.user.map { Array($0.utf8) } == stored, "\(name)")
        }
    }
}
