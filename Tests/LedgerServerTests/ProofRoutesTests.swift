import Foundation
import HTTPTypes
import HummingbirdTesting
import LedgerCodec
import LedgerCrypto
import LedgerEngine
@testable import LedgerServer
import LedgerTesting
import LedgerTokens
import NIOCore
import Testing

@Suite("Checkpoints and proofs over HTTP")
struct ProofRoutesTests {
    @Test("verifier key, checkpoint, inclusion and consistency proofs and bundles verify offline; events:read is needed")
    func routes() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            _ = try await client.login(fixture)
            let read = fixture.key(.eventsRead)
            let keyAnswer = try await client.send(.get, "/v1/log/verifier-key")
            #expect(keyAnswer.status == .ok && keyAnswer.headers[.contentType] == "text/plain; charset=utf-8")
            let key = keyAnswer.text.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key == engine.checkpoints.key.verifierKey)

            let note = try await client.send(.get, "/v1/log/checkpoint", key: read).text
            let first = try LogVerifier.checkpoint(note: note, verifierKey: key)
            #expect(first.size == engine.statistics.position)

            let inclusion = try await client.send(.get, "/v1/log/proofs/inclusion?position=2", key: read).object()
            #expect(inclusion["size"]?.integerValue == Int64(first.size) && inclusion["leaf_index"]?.integerValue == 1)
            let proof = try #require(inclusion["proof"]?.arrayValue).map { SHA256Digest(bytes: Base64.decode($0.stringValue!)!)! }
            try MerkleTree.verifyInclusion(leafHash: try #require(try engine.log.record(at: 2)).leafHash, index: 1, size: first.size,
                                           proof: proof, root: first.root)

            _ = try await client.login(fixture, user: "bob")
            let head = engine.statistics.position
            let bundle = try await client.send(.get, "/v1/log/events/\(head)/proof", key: read)
            #expect(bundle.status == .ok && bundle.headers[.contentType] == "text/plain; charset=utf-8")
            let verified = try LogVerifier.verify(bundle: bundle.text, verifierKey: key)
            #expect(verified.record.position == head && verified.event?.user == "bob" && verified.checkpoint.size == head)

            let consistency = try await client.send(.get, "/v1/log/proofs/consistency?from=\(first.size)", key: read).object()
            #expect(consistency["to"]?.integerValue == Int64(head))
            let text = ConsistencyBundle(oldSize: first.size, proof: try #require(consistency["proof"]?.arrayValue).map { SHA256Digest(bytes: Base64.decode($0.stringValue!)!)! },
                                         checkpointNote: consistency.string("checkpoint")).text
            let (a, b) = try LogVerifier.verify(consistency: text, old: note, verifierKey: key)
            #expect(a.size == first.size && b.size == head)
            // What an auditor without Swift does with the same answers.
            let files = TemporaryDirectory()
            for (name, content) in [("bundle", bundle.text), ("old", note), ("consistency", text)] {
                try content.write(toFile: files.appending(name), atomically: true, encoding: .utf8)
            }
            #expect(try Self.python(["--key", key, "bundle", files.appending("bundle")]) == 0)
            #expect(try Self.python(["--key", key, "consistency", files.appending("old"), files.appending("consistency")]) == 0)
            try (bundle.text.replacingOccurrences(of: "index \(head - 1)", with: "index \(head - 2)")).write(toFile: files.appending("moved"), atomically: true, encoding: .utf8)
            #expect(try Self.python(["--key", key, "bundle", files.appending("moved")]) == 1)
            let raw = try await client.send(.get, "/v1/log/proofs/consistency?from=1&to=2", key: read).object()
            #expect(raw["checkpoint"] == nil && raw["proof"]?.arrayValue?.count == 1)

            try await client.send(.get, "/v1/log/checkpoint", key: fixture.key(.sessionsRead)).expectProblem(.forbidden, "forbidden")
            try await client.send(.get, "/v1/log/checkpoint").expectProblem(.unauthorized, "unauthorized")
            try await client.send(.get, "/v1/log/events/\(head + 1)/proof", key: read).expectProblem(.notFound, "event-not-found")
            try await client.send(.get, "/v1/log/proofs/inclusion?position=\(head + 1)&size=\(head + 5)", key: read).expectProblem(.badRequest, "invalid-request")
            try await client.send(.get, "/v1/log/proofs/consistency?from=3&to=2", key: read).expectProblem(.badRequest, "invalid-request")
            try await client.send(.get, "/v1/log/proofs/inclusion", key: read).expectProblem(.badRequest, "invalid-request")
        }
    }

    /// tools/verify_proof.py's exit status.
    static func python(_ arguments: [String]) throws -> Int32 {
        let r = try ChildProcess.run("python3", [OpenAPICheck.script.replacingOccurrences(of: "openapi_check.py", with: "verify_proof.py")] + arguments)
        return r.succeeded ? 0 : 1
    }

    @Test("proofs=true attaches to each streamed revocation a bundle that verifies")
    func streamProofs() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let s = try await client.login(fixture)
            _ = try await client.send(.delete, "/v1/users/alice/sessions/\(s.string("session"))", key: fixture.key(.sessionsWrite))
            let head = engine.statistics.position
            let r = try await client.send(.get, "/v1/events?from=1&until=\(head)&proofs=true", key: fixture.key(.eventsRead))
            let ended = try #require(parseSSE(r.text).first { $0.event == "session.ended" })
            let data = try #require(try JSONParser.parse(Array(ended.data.utf8)).objectValue)
            let verified = try LogVerifier.verify(bundle: try #require(data["proof"]?.stringValue), verifierKey: engine.checkpoints.key.verifierKey)
            #expect(verified.record.position == ended.id)
            let plain = try await client.send(.get, "/v1/events?from=1&until=\(head)", key: fixture.key(.eventsRead))
            #expect(!plain.text.contains("\"proof\""))
            try await client.send(.get, "/v1/events?proofs=yes", key: fixture.key(.eventsRead)).expectProblem(.badRequest, "invalid-request")
        }
    }
}
