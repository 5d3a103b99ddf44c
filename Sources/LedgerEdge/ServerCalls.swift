import AsyncHTTPClient
import LedgerCodec
import LedgerCrypto
import LedgerTokens
import NIOCore

/// The four calls the edge makes to an AuthLedger server, each turning the answer into a
/// value or an ``EdgeError`` that says what to do.
enum ServerCalls {
    static let maximumBody = 64 << 20

    static func fetchKeySet(_ client: HTTPClient, server: String, timeout: Duration) async throws -> KeySetCache.Fetched {
        let request = HTTPClientRequest(url: server + "/.well-known/jwks.json")
        let response = try await client.execute(request, timeout: timeout.timeAmount)
        let body = try await response.body.collect(upTo: maximumBody)
        guard response.status.code == 200 else { throw unexpected(response, body, "/.well-known/jwks.json") }
        let keys: JWKS
        do { keys = try JWKS.parse(Array(buffer: body)).keys } catch {
            throw EdgeError(.server, "the key set is not a usable JWKS: \(error.reason)", remedy: "check that the URL is an AuthLedger server")
        }
        return KeySetCache.Fetched(keys: keys, lifetime: maxAge(response.headers["Cache-Control"]))
    }

    /// `max-age` of a Cache-Control header (`no-store`/`no-cache`: 0); nil when absent.
    static func maxAge(_ values: [String]) -> Duration? {
        for directive in values.flatMap({ $0.split(separator: ",") }) {
            let d = directive.trimmingWhitespace().lowercased()
            if d == "no-store" || d == "no-cache" { return .zero }
            if d.hasPrefix("max-age="), let s = Int64(d.dropFirst(8)), s >= 0 { return .seconds(s) }
        }
        return nil
    }

    static func fetchRevocationState(_ client: HTTPClient, _ c: EdgeConfiguration) async throws -> RevocationState {
        let response = try await client.execute(authorized("/v1/revocations", c), timeout: c.requestTimeout.timeAmount)
        let body = try await response.body.collect(upTo: maximumBody)
        guard response.status.code == 200 else { throw unexpected(response, body, "/v1/revocations") }
        guard let object = try? JSONParser.parse(Array(buffer: body), maxDepth: 8).objectValue,
              let position = object["position"]?.integerValue, position >= 0,
              let hash = object["chain_hash"]?.stringValue.flatMap(SHA256Digest.init(hex:)),
              let list = object["revoked"]?.arrayValue
        else { throw EdgeError(.server, "the revocation state is not the expected JSON", remedy: "check that the URL is an AuthLedger server") }
        var entries: [(SessionID, Timestamp)] = []
        for entry in list {
            guard let o = entry.objectValue, let s = o["session"]?.stringValue.flatMap(SessionID.init(hex:)),
                  let t = o["refuse_until"]?.stringValue.flatMap(Timestamp.init)
            else { throw EdgeError(.server, "a revocation entry is not a session and a refuse_until time", remedy: "check that the URL is an AuthLedger server") }
            entries.append((s, t))
        }
        return RevocationState(position: UInt64(position), chainHash: hash, entries: entries)
    }

    /// The server's head position, from `GET /readyz`.
    static func fetchHead(_ client: HTTPClient, _ c: EdgeConfiguration) async throws -> UInt64 {
        let response = try await client.execute(HTTPClientRequest(url: c.server + "/readyz"), timeout: c.requestTimeout.timeAmount)
        let body = try await response.body.collect(upTo: 1 << 16)
        guard response.status.code == 200 else { throw unexpected(response, body, "/readyz") }
        guard let p = (try? JSONParser.parse(Array(buffer: body)))?.objectValue?["position"]?.integerValue, p >= 0 else {
            throw EdgeError(.server, "/readyz did not name a position", remedy: "check that the URL is an AuthLedger server")
        }
        return UInt64(p)
    }

    /// Opens `GET /v1/events` after `position`; the caller reads the body.
    static func openStream(_ client: HTTPClient, _ c: EdgeConfiguration, after position: UInt64) async throws -> HTTPClientResponse {
        var request = authorized("/v1/events", c)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Last-Event-ID", value: String(position))
        let response = try await client.execute(request, timeout: c.requestTimeout.timeAmount)
        guard response.status.code == 200 else {
            let body = try await response.body.collect(upTo: 1 << 16)
            if response.status.code == 409 {
                throw EdgeError(.positionUnknown, String(buffer: body), remedy: "none: the revocation state is reloaded")
            }
            throw unexpected(response, body, "/v1/events")
        }
        return response
    }

    static func authorized(_ path: String, _ c: EdgeConfiguration) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: c.server + path)
        request.headers.add(name: "Authorization", value: "Bearer " + c.apiKey)
        return request
    }

    static func unexpected(_ response: HTTPClientResponse, _ body: ByteBuffer, _ path: String) -> EdgeError {
        let text = String(buffer: body).prefix(300)
        switch response.status.code {
        case 401, 403:
            return EdgeError(.unauthorized, "\(path) answered \(response.status.code): \(text)",
                             remedy: "configure an API key with the events:read scope (authledger apikey create --scope events:read)")
        default:
            return EdgeError(.server, "\(path) answered \(response.status.code): \(text)", remedy: "check the server's log; the call is retried")
        }
    }
}

extension Duration {
    var timeAmount: TimeAmount {
        let (s, atto) = components
        return .nanoseconds(s * 1_000_000_000 + atto / 1_000_000_000)
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}
