import Foundation
import LedgerCodec
import Testing

@Suite("Identifiers as text and JSON")
struct IdentifierCodingTests {
    @Test("timestamps round-trip through their RFC 3339 form at every microsecond offset, and bad forms are refused",
          arguments: [Int64(0), 1, 999_999, 1_767_225_600_123_456, 951_782_400_000_001, -1, 253_402_300_799_999_999])
    func timestamps(micros: Int64) throws {
        let t = Timestamp(microseconds: micros)
        #expect(Timestamp(t.description) == t)
        let data = try JSONEncoder().encode([t])
        #expect(try JSONDecoder().decode([Timestamp].self, from: data) == [t])
    }

    @Test("other RFC 3339 spellings in UTC parse; anything else does not")
    func timestampForms() {
        #expect(Timestamp("2026-11-29T09:00:00Z") == Timestamp(seconds: 1_795_942_800))
        #expect(Timestamp("2026-11-29T09:00:00.5+00:00") == Timestamp(seconds: 1_795_942_800).adding(microseconds: 500_000))
        #expect(Timestamp("2024-02-29T00:00:00Z") != nil)
        for bad in ["2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-29T24:00:00Z", "2026-11-29T09:00:00",
                    "2026-11-29T09:00:00.1234567Z", "2026-11-29T09:00:00+01:00", "2026-11-29 09:00:00Z", "", "2026-11-29T09:00:00.Z"] {
            #expect(Timestamp(bad) == nil, "\(bad)")
        }
    }

    @Test("session ids and addresses round-trip as strings")
    func idsAndAddresses() throws {
        let id = SessionID(high: 0x0123_4567_89ab_cdef, low: 42)
        #expect(SessionID(id.description) == id)
        #expect(SessionID("xyz") == nil)
        for ip in [IPAddress.unknown, IPAddress("198.51.100.7")!, IPAddress("2001:db8::1")!] {
            let data = try JSONEncoder().encode([ip])
            #expect(try JSONDecoder().decode([IPAddress].self, from: data) == [ip])
        }
        let data = try JSONEncoder().encode(["s": id])
        #expect(String(decoding: data, as: UTF8.self) == #"{"s":"0123456789abcdef000000000000002a"}"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([SessionID].self, from: Data(#"["nope"]"#.utf8)) }
    }
}
