import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LedgerCodec
import LedgerEngine
@testable import LedgerServer
import LedgerTokens
import NIOCore
import Testing

@Suite("Introspection, token revocation, browser mode, JWKS and operations")
struct TokenRoutesTests {
    func form(_ client: any TestClientProtocol, _ path: String, key: String, _ body: String) async throws -> TestResponse {
        try await client.send(.post, path, key: key, json: body, contentType: "application/x-www-form-urlencoded")
    }

    @Test("RFC 7662: access and refresh tokens are active while their session is; anything else is only active=false")
    func introspection() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, _ in
            let s = try await client.login(fixture)
            let key = fixture.key(.sessionsRead)
            let access = try await form(client, "/v1/introspect", key: key, "token=\(s.string("access_token"))").object()
            #expect(access["active"] == .bool(true) && access.string("sub") == "alice" && access.string("token_type") == "access_token")
            let refresh = try await form(client, "/v1/introspect", key: key, "token=\(s.string("refresh_token"))&token_type_hint=refresh_token").object()
            #expect(refresh["active"] == .bool(true) && refresh.string("sid") == s.string("session"))
            let forged = try await form(client, "/v1/introspect", key: key, "token=alr1_nope").object()
            #expect(forged == ["active": .bool(false)])
            _ = try await client.send(.delete, "/v1/users/alice/sessions/\(s.string("session"))", key: fixture.key(.sessionsWrite))
            #expect(try await form(client, "/v1/introspect", key: key, "token=\(s.string("access_token"))").object() == ["active": .bool(false)])
            #expect(try await form(client, "/v1/introspect", key: key, "token=\(s.string("refresh_token"))").object() == ["active": .bool(false)])
            try await client.send(.post, "/v1/introspect", key: key, json: #"{"token":"x"}"#).expectProblem(.unsupportedMediaType, "unsupported-media-type")
            try await form(client, "/v1/introspect", key: key, "token=a&token=b").expectProblem(.badRequest, "invalid-request")
        }
    }

    @Test("RFC 7009: revoking a refresh token ends its session; an unknown token is 200 and changes nothing")
    func revocation() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let s = try await client.login(fixture)
            let before = engine.statistics.position
            #expect(try await form(client, "/v1/revoke", key: fixture.key(.sessionsWrite), "token=garbage").status == .ok)
            #expect(engine.statistics.position == before)
            #expect(try await form(client, "/v1/revoke", key: fixture.key(.sessionsWrite), "token=\(s.string("refresh_token"))").status == .ok)
            #expect(engine.isRevoked(session: SessionID(hex: s.string("session"))!))
            #expect(try await form(client, "/v1/revoke", key: fixture.key(.sessionsWrite), "token=\(s.string("refresh_token"))").status == .ok)
        }
    }

    @Test("browser mode: the refresh token travels in an HttpOnly, Secure, SameSite=Strict cookie on the refresh path; CORS for allowed origins")
    func browserMode() async throws {
        let fixture = ServerFixture {
            $0.browser.refreshCookie = true
            $0.browser.allowedOrigins = ["https://app.example"]
        }
        try await fixture.withRouter { client, _ in
            let s = try await client.login(fixture)
            let first = try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(s.string("refresh_token"))"}"#)
            let cookie = try #require(first.headers[.setCookie])
            #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict") && cookie.contains("Path=/v1/refresh"))
            let value = String(cookie.split(separator: ";")[0])
            var h: HTTPFields = [.cookie: value, .origin: "https://app.example"]
            let second = try await client.send(.post, "/v1/refresh", json: "{}", headers: h)
            #expect(second.status == .ok)
            #expect(try second.object()["refresh_token"] == nil)
            #expect(second.headers[.accessControlAllowOrigin] == "https://app.example")
            #expect(second.headers[.accessControlAllowCredentials] == "true")
            // Another origin: no CORS headers, so its page cannot read the answer.
            h[.cookie] = String(try #require(second.headers[.setCookie]).split(separator: ";")[0])
            h[.origin] = "https://evil.example"
            let elsewhere = try await client.send(.post, "/v1/refresh", json: "{}", headers: h)
            #expect(elsewhere.headers[.accessControlAllowOrigin] == nil && elsewhere.headers[.accessControlAllowCredentials] == nil)
            let preflight = try await client.send(.options, "/v1/refresh", headers: [.origin: "https://app.example"])
            #expect(preflight.status == .noContent && preflight.headers[.accessControlAllowMethods] == "POST")
            try await client.send(.options, "/v1/refresh", headers: [.origin: "https://evil.example"]).expectProblem(.forbidden, "origin-not-allowed")
        }
    }

    @Test("JWKS with its cache lifetime; health, readiness and metrics; every answer has a request id")
    func operations() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            _ = try await client.login(fixture)
            let jwks = try await client.send(.get, "/.well-known/jwks.json")
            #expect(jwks.headers[.cacheControl] == "public, max-age=60")
            #expect(try jwks.object()["keys"]?.arrayValue?.count == engine.keys.jwks.count)
            #expect(try await client.send(.get, "/healthz").status == .ok)
            let ready = try await client.send(.get, "/readyz")
            #expect(ready.status == .ok && ready.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)
            let metrics = try await client.send(.get, "/metrics").text
            for name in ["authledger_http_requests_total{route=\"/v1/sessions\",method=\"POST\",status=\"201\"} 1", "authledger_log_position",
                         "authledger_sessions_active 1", "authledger_commit_duration_seconds_bucket", "authledger_http_request_duration_seconds_bucket",
                         "authledger_event_subscribers", "authledger_events_streamed_total",
                         // The login's batch: one command, its events (login, and the new user's key), in one commit.
                         "authledger_commit_batch_commands_bucket{le=\"1.0\"} 1", "authledger_commit_batch_commands_count 1",
                         "authledger_commit_batch_events_count 1", "authledger_commit_batch_duration_seconds_count 1"] {
                #expect(metrics.contains(name), "\(name)")
            }
            #expect(!metrics.contains(fixture.key(.sessionsWrite)))
        }
    }
}

@Suite("Configuration and client addresses")
struct ConfigurationTests {
    @Test("file, then environment, then flags; each setting under one name; errors name the setting and its source")
    func layering() throws {
        var c = ServerConfiguration()
        try c.apply(ServerConfiguration.settings(fromFile: Array(#"{"port": 9000, "host": "0.0.0.0", "cors-origins": ["https://a", "https://b"], "refresh-cookie": true}"#.utf8), path: "f.json"), from: "f.json")
        try c.apply(ServerConfiguration.settings(fromEnvironment: ["AUTHLEDGER_PORT": "9001", "AUTHLEDGER_MAX_BODY_BYTES": "1024", "HOME": "/"]), from: "the environment")
        try c.apply([.port: "9002"], from: "flags")
        #expect(c.port == 9002 && c.host == "0.0.0.0" && c.limits.maxBodyBytes == 1024)
        #expect(c.browser.allowedOrigins == ["https://a", "https://b"] && c.browser.refreshCookie)
        #expect(throws: ConfigurationError("port from flags must be a whole number in 0...65535")) { try c.apply([.port: "http"], from: "flags") }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.settings(fromFile: Array(#"{"prot": 1}"#.utf8), path: "f.json") }
        #expect(throws: ConfigurationError.self) { try c.apply([.trustedProxies: "10.0.0.1, proxy.local"], from: "flags") }
        #expect(ServerSetting.maxHeaderBytes.environmentName == "AUTHLEDGER_MAX_HEADER_BYTES")
    }

    func request(_ headers: HTTPFields) -> Request {
        Request(head: HTTPRequest(method: .get, scheme: "http", authority: "x", path: "/", headerFields: headers), body: .init(buffer: .init()))
    }

    @Test("forwarding headers are believed only from trusted proxies, and only as far as the first untrusted hop")
    func clientAddress() throws {
        let resolver = ClientAddressResolver(trustedProxies: ["10.0.0.1", "10.0.0.2"])
        let proxy = try SocketAddress(ipAddress: "10.0.0.1", port: 1234)
        let stranger = try SocketAddress(ipAddress: "203.0.113.9", port: 1234)
        let xff: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "198.51.100.1, 192.0.2.7, 10.0.0.2"]
        #expect(resolver.address(of: request(xff), peer: proxy) == IPAddress("192.0.2.7"))
        #expect(resolver.address(of: request(xff), peer: stranger) == IPAddress("203.0.113.9"))
        let forwarded: HTTPFields = [HTTPField.Name("Forwarded")!: #"for=198.51.100.1, for="[2001:db8::1]:4711""#]
        #expect(resolver.address(of: request(forwarded), peer: proxy) == IPAddress("2001:db8::1"))
        let junk: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "not-an-address"]
        #expect(resolver.address(of: request(junk), peer: proxy) == IPAddress("10.0.0.1"))
        #expect(resolver.address(of: request(xff), peer: nil) == .unknown)
    }
}

@Suite("API key events")
struct APIKeyEventTests {
    @Test("apikey.created and apikey.revoked round-trip through the codec and hold no secret")
    func roundTrip() throws {
        let (secret, created) = APIKeyStore.creation(scopes: [.sessionsRead, .eventsRead], label: "edge")
        for event in [created, .apiKeyRevoked(APIKeyRevoked(keyID: secret.keyID))] {
            let pending = event.pending(user: nil)
            #expect(pending.user == nil)
            let back = try AuthEvent.decode(type: pending.type, schemaVersion: pending.schemaVersion, payload: pending.payload)
            #expect(back == event)
            #expect(!event.type.belongsToUser)
        }
        #expect(!String(decoding: created.pending(user: nil).payload, as: UTF8.self).contains(secret.secret))
        let store = APIKeyStore()
        store.apply(created, at: Timestamp(seconds: 1))
        #expect(store.authenticate(secret.text)?.allows(.eventsRead) == true)
        #expect(store.authenticate(secret.text)?.allows(.sessionsWrite) == false)
        store.apply(.apiKeyRevoked(APIKeyRevoked(keyID: secret.keyID)), at: Timestamp(seconds: 2))
        #expect(store.authenticate(secret.text) == nil)
    }
}
