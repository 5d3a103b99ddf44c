import HTTPTypes
import Hummingbird
import LedgerEdge
import LedgerTokens
import NIOCore

/// Authenticates `Authorization: Bearer <access token>` with an ``EdgeVerifier`` and puts
/// the verified ``EdgeIdentity`` in the request context.
///
/// Answers as RFC 6750 §3 says: no token, 401 with `WWW-Authenticate: Bearer realm="…"`
/// and no error code; a token that fails a check or whose session was revoked, 401 with
/// `error="invalid_token"` and an `error_description`. When the verifier fails closed
/// because the revoked set may be out of date, the fault is the service's, not the
/// token's: 503 with `Retry-After`, so clients retry instead of discarding a good token.
public struct EdgeAuthenticationMiddleware<Context: EdgeAuthenticatedRequestContext>: RouterMiddleware {
    public let verifier: EdgeVerifier
    public let realm: String

    public init(verifier: EdgeVerifier, realm: String = "authledger") {
        self.verifier = verifier
        self.realm = realm
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Self.bearerToken(request.headers[.authorization]) else {
            return challenge(nil, status: .unauthorized)
        }
        let claims: AccessTokenClaims
        do {
            claims = try await verifier.verify(token)
        } catch {
            if error.code == .behind || error.code == .keysUnavailable {
                context.logger.warning("token refused: verifier unavailable", metadata: ["reason": "\(error.reason)"])
                var response = Self.problem(.serviceUnavailable, error.reason)
                response.headers[.retryAfter] = "1"
                return response
            }
            context.logger.debug("token refused", metadata: ["code": "\(error.code)", "reason": "\(error.reason)"])
            return challenge(error, status: .unauthorized)
        }
        var context = context
        context.identity = EdgeIdentity(claims: claims)
        return try await next(request, context)
    }

    /// The token of `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235).
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).drop { $0 == " " }
        return token.isEmpty ? nil : String(token)
    }

    func challenge(_ error: EdgeError?, status: HTTPResponse.Status) -> Response {
        var value = "Bearer realm=\"\(Self.quotable(realm))\""
        if let error {
            value += ", error=\"invalid_token\", error_description=\"\(Self.quotable(error.reason))\""
        }
        var response = Self.problem(status, error?.reason ?? "an access token is required (Authorization: Bearer <token>)")
        response.headers[.wwwAuthenticate] = value
        return response
    }

    /// RFC 6750 §3 allows only %x20-21 / %x23-5B / %x5D-7E inside the quotes: no `"`, no
    /// `\`, nothing outside printable ASCII. Reasons may quote parts of the token, so they
    /// are cleaned rather than trusted; long ones are cut.
    static func quotable(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars.prefix(200) {
            switch u.value {
            case 0x22: out.append("'")
            case 0x5C: out.append("/")
            case 0x20...0x7E: out.unicodeScalars.append(u)
            default: out.append("?")
            }
        }
        return out
    }

    static func problem(_ status: HTTPResponse.Status, _ detail: String) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString("{\"status\":\(status.code),\"detail\":\"")
        for u in detail.unicodeScalars {
            switch u {
            case "\"": buffer.writeString("\\\"")
            case "\\": buffer.writeString("\\\\")
            case _ where u.value < 0x20: buffer.writeString("\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16))
            default: buffer.writeString(String(u))
            }
        }
        buffer.writeString("\"}")
        return Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: buffer))
    }
}

