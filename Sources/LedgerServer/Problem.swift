import Hummingbird
import LedgerTokens

/// An error answer as `application/problem+json` (RFC 9457). `type` is stable per kind of
/// failure, so clients match on it; `detail` is for people and never holds a token or a key.
public struct Problem: Error, HTTPResponseError, Sendable, Equatable {
    public let status: HTTPResponse.Status
    /// The stable slug; the `type` member is `urn:authledger:problem:<slug>`.
    public let slug: String
    public let title: String
    public let detail: String
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields = [:]

    public init(_ status: HTTPResponse.Status, _ slug: String, _ title: String, detail: String) {
        self.status = status; self.slug = slug; self.title = title; self.detail = detail
    }

    public var type: String { "urn:authledger:problem:" + slug }

    public var json: JSONValue {
        ["type": .string(type), "title": .string(title), "status": .integer(Int64(status.code)), "detail": .string(detail)]
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(json, status: status, contentType: "application/problem+json")
        response.headers.append(contentsOf: headers)
        return response
    }

    // MARK: The catalogue

    static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, "invalid-request", "The request is not valid", detail: detail) }
    static func malformedJSON(_ detail: String) -> Problem { Problem(.badRequest, "malformed-json", "The body is not valid JSON", detail: detail) }
    static func unsupportedMediaType(_ expected: String) -> Problem {
        Problem(.unsupportedMediaType, "unsupported-media-type", "Unsupported content type", detail: "send the body as \(expected)")
    }
    static func bodyTooLarge(_ limit: Int) -> Problem {
        Problem(.contentTooLarge, "body-too-large", "The request body is too large", detail: "bodies are limited to \(limit) bytes")
    }
    static func headersTooLarge(_ limit: Int) -> Problem {
        Problem(.init(code: 431, reasonPhrase: "Request Header Fields Too Large"), "headers-too-large", "The request headers are too large",
                detail: "the request line and headers are limited to \(limit) bytes")
    }
    static func tokenTooLong(_ limit: Int) -> Problem {
        Problem(.badRequest, "token-too-long", "The token is too long", detail: "tokens are limited to \(limit) bytes")
    }
    static let notFound = Problem(.notFound, "not-found", "No such route", detail: "see docs/HTTP.md for the routes this service answers")
    static func methodNotAllowed(_ allowed: [HTTPRequest.Method]) -> Problem {
        var p = Problem(.methodNotAllowed, "method-not-allowed", "Method not allowed",
                        detail: "this route answers \(allowed.map(\.rawValue).joined(separator: ", "))")
        p.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return p
    }
    static let missingAPIKey: Problem = {
        var p = Problem(.unauthorized, "unauthorized", "An API key is required",
                        detail: "send Authorization: Bearer <API key>; keys are created with `authledger apikey create`")
        p.headers[.wwwAuthenticate] = "Bearer realm=\"authledger\""
        return p
    }()
    static let invalidAPIKey: Problem = {
        var p = Problem(.unauthorized, "unauthorized", "The API key is not valid",
                        detail: "the key is unknown, revoked or malformed; create one with `authledger apikey create`")
        p.headers[.wwwAuthenticate] = "Bearer realm=\"authledger\", error=\"invalid_token\""
        return p
    }()
    static func forbidden(needs scope: Scope) -> Problem {
        Problem(.forbidden, "forbidden", "The API key lacks a scope", detail: "this call needs the \(scope.rawValue) scope (or admin)")
    }
    static func rateLimited(retryAfter seconds: Int) -> Problem {
        var p = Problem(.tooManyRequests, "rate-limited", "Too many requests",
                        detail: "too many login or refresh attempts from this address; retry after \(seconds) s")
        p.headers[.retryAfter] = String(seconds)
        return p
    }
    static let shuttingDown = Problem(.serviceUnavailable, "shutting-down", "The service is shutting down",
                                      detail: "retry against another instance, or after the restart")
    static let internalError = Problem(.internalServerError, "internal", "Internal error",
                                       detail: "the server failed; the request id in X-Request-ID finds it in the logs")
}
