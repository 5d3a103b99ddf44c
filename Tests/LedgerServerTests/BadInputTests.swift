import HTTPTypes
import HummingbirdTesting
import LedgerCodec
import LedgerEngine
@testable import LedgerServer
import LedgerTokens
import Testing

@Suite("Bad input gets a clear 4xx and changes nothing")
struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let body: [UInt8]
        let contentType: String
        let status: HTTPResponse.Status
        let slug: String
        var description: String { name }
        init(_ name: String, _ body: String, _ status: HTTPResponse.Status, _ slug: String, contentType: String = "application/json") {
            self.init(name, Array(body.utf8), status, slug, contentType: contentType)
        }
        init(_ name: String, _ body: [UInt8], _ status: HTTPResponse.Status, _ slug: String, contentType: String = "application/json") {
            self.name = name; self.body = body; self.status = status; self.slug = slug; self.contentType = contentType
        }
    }

    static let loginCases: [Case] = [
        Case("malformed JSON", #"{"user":"alice","#, .badRequest, "malformed-json"),
        Case("not an object", #"["alice"]"#, .badRequest, "invalid-request"),
        Case("missing field", #"{"user":"alice"}"#, .badRequest, "invalid-request"),
        Case("extra field", #"{"user":"alice","device_label":"d","admin":true}"#, .badRequest, "invalid-request"),
        Case("wrong type", #"{"user":42,"device_label":"d"}"#, .badRequest, "invalid-request"),
        Case("duplicate member", #"{"user":"alice","user":"bob","device_label":"d"}"#, .badRequest, "malformed-json"),
        Case("invalid UTF-8", [UInt8](#"{"user":""#.utf8) + [0xff, 0xfe] + [UInt8](#"","device_label":"d"}"#.utf8), .badRequest, "malformed-json"),
        Case("bad client_ip", #"{"user":"alice","device_label":"d","client_ip":"999.1.1.1"}"#, .badRequest, "invalid-request"),
        Case("user id too long", #"{"user":"\#(String(repeating: "u", count: 300))","device_label":"d"}"#, .badRequest, "invalid-request"),
        Case("empty user id", #"{"user":"","device_label":"d"}"#, .badRequest, "invalid-request"),
        Case("wrong content type", #"{"user":"alice","device_label":"d"}"#, .unsupportedMediaType, "unsupported-media-type", contentType: "text/plain"),
        Case("oversized body", #"{"user":"alice","device_label":"\#(String(repeating: "d", count: 20_000))"}"#, .contentTooLarge, "body-too-large"),
    ]

    @Test("login refuses", arguments: loginCases)
    func login(_ c: Case) async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let before = engine.statistics.position
            let r = try await client.send(.post, "/v1/sessions", key: fixture.key(.sessionsWrite), bytes: c.body, contentType: c.contentType)
            try r.expectProblem(c.status, c.slug)
            #expect(engine.statistics.position == before)
        }
    }

    @Test("every route with a body answers 413 to one over the limit, as documented, and changes nothing",
          arguments: [("PUT", "/v1/users/alice/ban", "application/json"), ("POST", "/v1/introspect", "application/x-www-form-urlencoded"),
                      ("POST", "/v1/revoke", "application/x-www-form-urlencoded"), ("POST", "/v1/apikeys", "application/json"),
                      ("POST", "/v1/keys/rotate", "application/json"), ("POST", "/v1/refresh", "application/json")])
    func oversizedBodies(method: String, path: String, contentType: String) async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let before = engine.statistics.position
            let r = try await client.send(HTTPRequest.Method(method)!, path, key: fixture.key(.admin),
                                          bytes: Array(repeating: UInt8(ascii: "a"), count: 20_000), contentType: contentType)
            try r.expectProblem(.contentTooLarge, "body-too-large")
            #expect(engine.statistics.position == before)
        }
    }

    @Test("refresh refuses a token over the limit, a forged token, and an empty body, changing nothing")
    func refresh() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            _ = try await client.login(fixture)
            let before = engine.statistics.position
            try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"\#(String(repeating: "x", count: 5000))"}"#)
                .expectProblem(.badRequest, "token-too-long")
            try await client.send(.post, "/v1/refresh", json: #"{"refresh_token":"alr1_forged"}"#).expectProblem(.unauthorized, "invalid-refresh-token")
            try await client.send(.post, "/v1/refresh", json: "{}").expectProblem(.badRequest, "invalid-request")
            #expect(engine.statistics.position == before)
        }
    }

    /// Found by tools/schemathesis.sh: reads answered 200 (an empty list) for an id no user
    /// can have, and the routes that refused it answered a 400 the OpenAPI document did not list.
    @Test("a user id over 255 bytes in the path is 400 invalid-request on every user route, as documented")
    func longUserIDInPath() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, engine in
            let admin = fixture.key(.admin)
            let long = String(repeating: "u", count: 256)
            let before = engine.statistics.position
            try await client.send(.get, "/v1/users/\(long)/sessions", key: admin).expectProblem(.badRequest, "invalid-request")
            try await client.send(.get, "/v1/users/\(long)/history", key: admin).expectProblem(.badRequest, "invalid-request")
            try await client.send(.delete, "/v1/users/\(long)/sessions", key: admin).expectProblem(.badRequest, "invalid-request")
            try await client.send(.delete, "/v1/users/\(long)/ban", key: admin).expectProblem(.badRequest, "invalid-request")
            try await client.send(.put, "/v1/users/\(long)/ban", key: admin, json: #"{"reason":"r"}"#).expectProblem(.badRequest, "invalid-request")
            try await client.send(.post, "/v1/users/\(long)/forget", key: admin).expectProblem(.badRequest, "invalid-request")
            #expect(engine.statistics.position == before)
            // 255 bytes is a user id like any other.
            #expect(try await client.send(.get, "/v1/users/\(String(long.dropFirst()))/sessions", key: admin).status == .ok)
        }
    }

    /// Also found by tools/schemathesis.sh: the document said otherwise of these, which the
    /// engine has always accepted.
    @Test("an optional member given as null is left out, a ban's reason may be empty, and an unknown token_type_hint is ignored")
    func documentedLeniency() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, _ in
            let login = try await client.send(.post, "/v1/sessions", key: fixture.key(.sessionsWrite),
                                              json: #"{"user":"alice","device_label":"d","user_agent":null,"client_ip":null,"claims":null}"#)
            #expect(login.status == .created)
            #expect(try await client.send(.put, "/v1/users/bob/ban", key: fixture.key(.admin), json: #"{"reason":""}"#).status == .noContent)
            let revoke = try await client.send(.post, "/v1/revoke", key: fixture.key(.sessionsWrite), bytes: Array("token=x&token_type_hint=other".utf8),
                                               contentType: "application/x-www-form-urlencoded")
            #expect(revoke.status == .ok)
        }
    }

    @Test("unknown routes are 404, known routes with another method 405 with Allow, oversized heads 431")
    func routesAndHeads() async throws {
        let fixture = ServerFixture()
        try await fixture.withRouter { client, _ in
            try await client.send(.get, "/v2/sessions").expectProblem(.notFound, "not-found")
            let r = try await client.send(.get, "/v1/sessions")
            try r.expectProblem(.methodNotAllowed, "method-not-allowed")
            #expect(r.headers[.allow] == "POST")
            let m = try await client.send(.patch, "/v1/users/alice/sessions")
            #expect(m.headers[.allow] == "DELETE, GET")
            let big = try await client.send(.get, "/healthz", headers: [HTTPField.Name("X-Filler")!: String(repeating: "f", count: 20_000)])
            try big.expectProblem(.init(code: 431), "headers-too-large")
        }
    }

    @Test("login and refresh are rate-limited per client address with Retry-After")
    func rateLimit() async throws {
        let fixture = ServerFixture { $0.rateLimit.perMinute = 60; $0.rateLimit.burst = 2 }
        try await fixture.withRouter { client, _ in
            _ = try await client.login(fixture)
            _ = try await client.login(fixture)
            let limited = try await client.send(.post, "/v1/sessions", key: fixture.key(.sessionsWrite),
                                                json: #"{"user":"alice","device_label":"d","client_ip":"198.51.100.7"}"#)
            try limited.expectProblem(.tooManyRequests, "rate-limited")
            #expect(limited.headers[.retryAfter] == "1")
            // Another address has its own bucket; time refills this one.
            let other = try await client.send(.post, "/v1/sessions", key: fixture.key(.sessionsWrite),
                                              json: #"{"user":"alice","device_label":"d","client_ip":"198.51.100.8"}"#)
            #expect(other.status == .created)
            fixture.clock.advance(seconds: 1)
            _ = try await client.login(fixture)
        }
    }
}

@Suite("Token buckets")
struct TokenBucketTests {
    @Test("a burst, then one token per interval; the wait is whole seconds, at least one")
    func buckets() {
        var b = TokenBuckets(perMinute: 30, burst: 3)
        let a = IPAddress("192.0.2.1")!
        #expect(b.take(a, now: 0) == nil)
        #expect(b.take(a, now: 0) == nil)
        #expect(b.take(a, now: 0) == nil)
        #expect(b.take(a, now: 0) == 2)
        #expect(b.take(a, now: 1_000_000) == 1)
        #expect(b.take(a, now: 2_000_000) == nil)
        var off = TokenBuckets(perMinute: 0, burst: 1)
        #expect(off.take(a, now: 0) == nil && off.take(a, now: 0) == nil)
    }

    @Test("the table forgets full buckets past its bound")
    func bounded() {
        var b = TokenBuckets(perMinute: 60, burst: 1, maxAddresses: 10)
        for i in 0..<100 { _ = b.take(IPAddress("10.0.0.\(i)")!, now: Int64(i) * 2_000_000) }
        #expect(b.take(IPAddress("10.0.0.99")!, now: 198_000_001) != nil)
    }
}
