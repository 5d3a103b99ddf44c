import Foundation
import LedgerCodec
import LedgerCrypto
import LedgerTesting
import Testing

/// The format rules of docs/LOG_FORMAT.md that later features build on.
@Suite("Format rules")
struct FormatRuleTests {
    @Test("a record's Merkle leaf hash is SHA-256(0x00 ‖ its stored bytes)")
    func leafHash() {
        // Computed independently: python3 -c "import hashlib; print(hashlib.sha256(bytes([0,1,2,3])).hexdigest())"
        #expect(EventRecord(position: 1, storedBytes: [1, 2, 3]).leafHash.hex == "054edec1d0211f624fed0cbca9d4f9400b0e491c43742af2c5b0abebf0c990d8")
        let bytes = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(EventRecord(position: 9, storedBytes: bytes).leafHash == SHA256.hash([0] + bytes))
    }

    @Test("annotation types are 192–254; only unknown ones there are skippable, every other unknown type is refused")
    func annotationRange() {
        #expect(EventType.annotations == 192...254)
        #expect(EventType.isUnknownAnnotation(192) && EventType.isUnknownAnnotation(254))
        #expect(!EventType.isUnknownAnnotation(191) && !EventType.isUnknownAnnotation(255) && !EventType.isUnknownAnnotation(100))
        for t in EventType.allCases { #expect(!EventType.annotations.contains(t.rawValue), "\(t) is in the annotation range") }
    }

    @Test("the codec links no LMDB: its targets depend on libcrypto alone")
    func noLMDB() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        // A scratch path of its own: the test runner holds the package's build lock.
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("authledger-dump-\(getpid())")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let dump = try ChildProcess.run("swift", ["package", "--scratch-path", scratch.path, "--package-path", root.path, "dump-package"], timeout: 300)
        #expect(dump.succeeded, "\(dump.termination): \(dump.errorOutput)")
        let data = Data(dump.output.utf8)
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let targets = try #require(manifest["targets"] as? [[String: Any]])
        var deps: [String: [String]] = [:]
        for t in targets {
            let names = (t["dependencies"] as? [[String: Any]] ?? []).compactMap { d in (d.values.first as? [Any])?.first as? String }
            deps[t["name"] as! String] = names
        }
        var seen: Set<String> = [], todo = ["LedgerCodec"]
        while let t = todo.popLast() {
            for d in deps[t] ?? [] where seen.insert(d).inserted { todo.append(d) }
        }
        #expect(seen == ["LedgerCrypto", "CCrypto"])
    }
}
