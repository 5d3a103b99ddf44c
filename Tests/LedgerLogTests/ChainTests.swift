import CLMDB
import LedgerCodec
@testable import LedgerLog
import LedgerTesting
import Testing

/// Overwrites the stored bytes of one record in place, as an attacker with disk access could.
func tamper(_ log: EventLog, position: UInt64, _ change: (inout [UInt8]) -> Void) throws {
    var bytes = try #require(try log.record(at: position)).storedBytes
    change(&bytes)
    _ = try log.env.write { txn in
        try txn.withCursor(log.logDB) { cursor in
            var key = position
            try withUnsafeBytes(of: &key) { k in
                _ = try cursor.move(MDB_SET_KEY, key: k)
                try bytes.withUnsafeBytes { try cursor.replaceCurrent(key: k, value: $0) }
            }
        }
    }
}

@Suite("Hash chain")
struct ChainTests {
    @Test("an untouched log verifies, and the report's head is the log's head")
    func intact() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...100 { try await log.append(rotation("c", generation: UInt32(g))) }
        let report = try log.verifyChain()
        #expect(report.isIntact)
        #expect(report.checked == 100)
        let head = try log.head()
        #expect(report.head == head)
    }

    @Test("an empty log verifies")
    func empty() throws {
        let dir = TemporaryDirectory()
        let report = try openLog(dir).verifyChain()
        #expect(report.isIntact && report.checked == 0 && report.head == .empty)
    }

    @Test("one flipped byte is reported at its position", arguments: [
        (37 as UInt64, 1), (37, 4), (37, 13), (37, -1), (1, 20), (100, 2),
    ])
    func flippedByte(position: UInt64, offset: Int) async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...100 { try await log.append(rotation("c", generation: UInt32(g))) }
        try tamper(log, position: position) { bytes in
            let i = offset >= 0 ? offset : bytes.count + offset
            bytes[i] ^= 0x01
        }
        let report = try log.verifyChain()
        #expect(report.firstBreak?.position == position)
        #expect(report.checked == position - 1)
    }

    @Test("a removed record is reported where the gap starts")
    func removedRecord() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...20 { try await log.append(rotation("c", generation: UInt32(g))) }
        _ = try log.env.write { txn in
            var key: UInt64 = 8
            return withUnsafeBytes(of: &key) { k in
                var kv = MDB_val(mv_size: 8, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                return mdb_del(txn.txn, log.logDB, &kv, nil)
            }
        }
        #expect(try log.verifyChain().firstBreak?.position == 8)
    }

    @Test("swapping two records is detected at the first of them")
    func reordered() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...20 { try await log.append(rotation("c", generation: UInt32(g))) }
        let a = try #require(try log.record(at: 5)).storedBytes
        let b = try #require(try log.record(at: 6)).storedBytes
        try tamper(log, position: 5) { $0 = b }
        try tamper(log, position: 6) { $0 = a }
        #expect(try log.verifyChain().firstBreak?.position == 5)
    }

    @Test("a record of an unknown format is an error naming its position, not a crash")
    func unknownRecordFormat() async throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        for g in 1...3 { try await log.append(rotation("c", generation: UInt32(g))) }
        try tamper(log, position: 2) { $0[0] = 9 }
        #expect {
            try log.scan { _ in true }
        } throws: { e in
            guard let e = e as? LogError, case let .unsupportedRecordFormat(p, f) = e.kind else { return false }
            return p == 2 && f == 9
        }
        try tamper(log, position: 3) { $0 = [1, 2, 3] }
        #expect(throws: LogError.self) { _ = try log.record(at: 3) }
    }
}
