import Foundation
import LedgerEngine
import Testing

/// The seeds of the fuzz target `snapshot-body` (tools/fuzz/make-seeds.py): the body of a
/// real snapshot and an empty one. They must stay decodable, or the fuzzer would start from
/// refusals only.
@Suite("Snapshot fuzz seeds")
struct SnapshotFuzzSeedTests {
    @Test("the seed bodies decode past the MAC; a truncated one is refused as malformed")
    func seeds() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/fuzz/corpus/snapshot-body")
        for name in ["demo", "empty"] {
            let body = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name)))
            _ = try SnapshotCodec.decodeBody(unauthenticated: body, position: 28)
            let error = #expect(throws: SnapshotError.self) {
                try SnapshotCodec.decodeBody(unauthenticated: Array(body.dropLast()), position: 28)
            }
            #expect(error?.kind == .malformed)
        }
    }
}
