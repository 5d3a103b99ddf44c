import Foundation
import LedgerTesting
import HTTPTypes
import HummingbirdTesting
import LedgerTokens
import NIOCore
import Synchronization
import Testing

/// A test client that records every exchange, so each in-process test can check its
/// answers against docs/openapi.yaml when it ends.
final class RecordingClient: TestClientProtocol {
    let base: any TestClientProtocol
    private let records = Mutex<[String]>([])

    init(_ base: any TestClientProtocol) { self.base = base }

    var port: Int? { base.port }

    func executeRequest(uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?) async throws -> TestResponse {
        let response = try await base.executeRequest(uri: uri, method: method, headers: headers, body: body)
        // Event streams are checked by their own tests; the document says only that they are text.
        let text = response.headers[.contentType] == "text/event-stream" ? "" : String(buffer: response.body)
        let record: JSONValue = ["method": .string(method.rawValue), "path": .string(uri), "status": .integer(Int64(response.status.code)),
                                 "content_type": .string(response.headers[.contentType] ?? ""), "body": .string(text)]
        records.withLock { $0.append(record.serialized) }
        return response
    }

    /// Runs tools/openapi_check.py over what was recorded; records an issue per answer the
    /// document does not describe.
    func checkAgainstDocument(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let lines = records.withLock { $0 }
        guard !lines.isEmpty else { return }
        let result = try OpenAPICheck.run(["validate"], input: lines.joined(separator: "\n"))
        #expect(result.status == 0, "answers the OpenAPI document does not describe:\n\(result.out)", sourceLocation: sourceLocation)
    }
}

enum OpenAPICheck {
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/openapi_check.py").path
    }

    static func run(_ arguments: [String], input: String = "") throws -> (status: Int32, out: String) {
        let r = try ChildProcess.run("python3", [script] + arguments, input: Array(input.utf8))
        return r.succeeded ? (0, r.output) : (1, r.output + "\n\(r.termination): " + r.errorOutput)
    }
}
