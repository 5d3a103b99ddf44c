import HTTPTypes
import HummingbirdTesting
import LedgerCodec
import LedgerEngine
@testable import LedgerServer
import LedgerTokens
import Testing

@Suite("Signing-key rotation over HTTP")
struct KeyRotationRouteTests {
    func kid(_ token: String) throws -> String? { try CompactJWS(parsing: token).header["kid"]?.stringValue }

    @Test("POST /v1/keys/rotate publishes a key that signs only after the publish-ahead time; `immediately` signs at once")
    func rotate() async throws {
        let fixture = ServerFixture { $0.engine.signingKeyPublishAheadSeconds = 90 }
        try await fixture.withRouter { client, engine in
            let old = engine.keys.signingKey.kid
            try await client.send(.post, "/v1/keys/rotate", key: fixture.key(.sessionsWrite)).expectProblem(.forbidden, "forbidden")
            fixture.clock.advance(seconds: 7)
            let started = try await client.send(.post, "/v1/keys/rotate", key: fixture.key(.admin))
            #expect(started.status == .ok)
            let body = try started.object()
            let new = body.string("kid")
            #expect(body["active"] == .bool(false))
            #expect(body.string("activates_at") == fixture.clock.now().adding(seconds: 90).description)
            // Published before it signs: a key set fetched now already holds it.
            let jwks = try await client.send(.get, "/.well-known/jwks.json").object()
            #expect(jwks["keys"]?.arrayValue?.compactMap { $0.objectValue?["kid"]?.stringValue }.sorted() == [new, old].sorted())
            #expect(try kid(try await client.login(fixture).string("access_token")) == old)
            // Asking again while it waits changes nothing.
            let again = try await client.send(.post, "/v1/keys/rotate", key: fixture.key(.admin), json: "{}").object()
            #expect(again.string("kid") == new && again["active"] == .bool(false))

            let now = try await client.send(.post, "/v1/keys/rotate", key: fixture.key(.admin), json: #"{"immediately":true}"#).object()
            #expect(now.string("kid") == new && now["active"] == .bool(true))
            #expect(try kid(try await client.login(fixture, user: "bob").string("access_token")) == new)

            try await client.send(.post, "/v1/keys/rotate", key: fixture.key(.admin), json: #"{"immediately":"yes"}"#).expectProblem(.badRequest, "invalid-request")
            try await client.send(.post, "/v1/keys/rotate", key: fixture.key(.admin), json: #"{"now":true}"#).expectProblem(.badRequest, "invalid-request")
            try await client.send(.post, "/v1/keys/rotate", key: fixture.key(.admin), json: "[]").expectProblem(.badRequest, "invalid-request")
        }
    }

    @Test("a JWKS cache lifetime longer than the publish-ahead time is refused at start, naming both settings")
    func cacheLongerThanPublication() async throws {
        var c = ServerConfiguration()
        try c.apply([.jwksMaxAgeSeconds: "300", .keyPublishAheadSeconds: "300"], from: "flags")
        try c.validate()
        #expect(c.engine.signingKeyPublishAheadSeconds == 300 && c.jwksMaxAgeSeconds == 300)
        try c.apply([.keyPublishAheadSeconds: "299"], from: "flags")
        #expect { try c.validate() } throws: { error in
            let text = (error as? ConfigurationError)?.description ?? ""
            return text.contains("jwks-max-age-seconds (300)") && text.contains("key-publish-ahead-seconds (299)")
        }
        let fixture = ServerFixture { $0.jwksMaxAgeSeconds = 121 }
        let engine = try await fixture.openEngine()
        #expect(throws: ConfigurationError.self) { _ = try buildApplication(engine: engine, configuration: fixture.configuration) }
        try await engine.shutdown()
    }
}
