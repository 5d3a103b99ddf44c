import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCodec
import LedgerEngine
@testable import LedgerServer
import LedgerTesting
import LedgerTokens
import NIOCore
import Testing

/// A server over a fresh data directory with a manual clock, and one API key per scope.
struct ServerFixture {
    let dir = TemporaryDirectory()
    let clock = ManualClock(start: Timestamp(seconds: 1_767_225_600))
    var configuration = ServerConfiguration()
    /// Keys by scope; `.admin` holds the admin key.
    let keys: [Scope: String]
    let revokedKey: String
    private let keyEvents: [AuthEvent]

    init(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) {
        configuration.dataDirectory = dir.path
        configuration.engine.log = .unsafeFast()
        configuration.engine.clock = clock
        configuration.logger.logLevel = .critical
        configuration.engine.logger.logLevel = .critical
        adjust(&configuration)
        var keys: [Scope: String] = [:], events: [AuthEvent] = []
        for scope in Scope.allCases {
            let (secret, event) = APIKeyStore.creation(scopes: [scope], label: "test \(scope.rawValue)")
            keys[scope] = secret.text
            events.append(event)
        }
        let (revoked, event) = APIKeyStore.creation(scopes: [.admin], label: "revoked")
        events += [event, .apiKeyRevoked(APIKeyRevoked(keyID: revoked.keyID))]
        self.keys = keys
        revokedKey = revoked.text
        keyEvents = events
    }

    /// Opens the engine, records the keys, and runs `body` against the application in process.
    func withRouter<T: Sendable>(_ body: @Sendable (any TestClientProtocol, AuthEngine) async throws -> T) async throws -> T {
        let engine = try await openEngine()
        let app = try buildApplication(engine: engine, configuration: configuration)
        return try await app.test(.router) { client in
            let recording = RecordingClient(client)
            let result = try await body(recording, engine)
            try recording.checkAgainstDocument()
            return result
        }
    }

    /// Opens the engine on the fixture's directory, recording the keys the first time.
    func openEngine() async throws -> AuthEngine {
        let engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: configuration.engine)
        if try APIKeyStore.replay(engine.log).all.isEmpty {
            _ = try await engine.log.append(keyEvents.map { $0.pending(user: nil) })
        }
        return engine
    }
    func key(_ scope: Scope) -> String { keys[scope]! }
}

extension TestClientProtocol {
    /// Sends a JSON body (raw text, so tests can send anything) with an optional API key.
    func send(_ method: HTTPRequest.Method, _ uri: String, key: String? = nil, json: String? = nil,
              contentType: String = "application/json", headers: HTTPFields = [:]) async throws -> TestResponse {
        var h = headers
        if let key { h[.authorization] = "Bearer " + key }
        if json != nil { h[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: h, body: json.map { ByteBuffer(string: $0) })
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, key: String? = nil, bytes: [UInt8], contentType: String) async throws -> TestResponse {
        var h: HTTPFields = [.contentType: contentType]
        if let key { h[.authorization] = "Bearer " + key }
        return try await execute(uri: uri, method: method, headers: h, body: ByteBuffer(bytes: bytes))
    }

    /// Logs alice (or `user`) in on a device and returns the answer's members.
    func login(_ fixture: ServerFixture, user: String = "alice", label: String = "iPhone") async throws -> [String: JSONValue] {
        let r = try await send(.post, "/v1/sessions", key: fixture.key(.sessionsWrite),
                               json: #"{"user":"\#(user)","device_label":"\#(label)","user_agent":"Safari/17","client_ip":"198.51.100.7"}"#)
        #expect(r.status == .created)
        return try r.object()
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func object() throws -> [String: JSONValue] {
        let value = try JSONParser.parse(Array(body.readableBytesView))
        return try #require(value.objectValue, "not a JSON object: \(text)")
    }

    /// Checks the answer is a problem document with this status and type slug.
    func expectProblem(_ status: HTTPResponse.Status, _ slug: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(self.status == status, "\(text)", sourceLocation: sourceLocation)
        #expect(headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let o = try object()
        #expect(o["type"]?.stringValue == "urn:authledger:problem:" + slug, "\(text)", sourceLocation: sourceLocation)
        #expect(o["status"]?.integerValue == Int64(status.code), sourceLocation: sourceLocation)
    }
}

extension [String: JSONValue] {
    func string(_ name: String) -> String { self[name]?.stringValue ?? "" }
}
