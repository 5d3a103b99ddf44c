import Hummingbird
import LedgerCodec
import LedgerEngine
import LedgerTokens

extension Routes {
    func addTokenRoutes(to router: Router<ServerContext>) {
        let v1 = router.group("v1")
        v1.post("refresh") { request, context in try await refresh(request, context) }
        v1.on("refresh", method: .options) { request, _ in try preflight(request) }
        v1.post("introspect") { request, context in try await introspect(request, context) }
        v1.post("revoke") { request, context in try await revokeToken(request, context) }
    }

    var refreshPath: String { "/v1/refresh" }

    /// Exchanges a refresh token for a new pair. The refresh token is the credential, so no
    /// API key is needed; a backend that sends a sessions:write key may also say on whose
    /// address (`client_ip`) and with which claims it refreshes. In browser mode the token
    /// may come from the cookie instead, and the new one goes back only in the cookie.
    func refresh(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        var body = try await JSONObjectReader.read(request, limit: limits.maxBodyBytes)
        let fromBody = try body.optionalString("refresh_token")
        let clientIP = try body.optionalString("client_ip")
        let claims = try body.optionalObject("claims")
        try body.finish()
        let browser = configuration.browser
        let fromCookie = browser.refreshCookie ? request.cookies[browser.cookieName]?.value : nil
        guard let token = fromBody ?? fromCookie else {
            throw Problem.badRequest(browser.refreshCookie ? "send refresh_token in the body, or the refresh cookie"
                                                           : "the member \"refresh_token\" is required")
        }
        try checkToken(token)
        var ip = clientAddress(request, context)
        if clientIP != nil || claims != nil {
            try authorize(request, &context, .sessionsWrite)
            if let clientIP {
                guard let given = IPAddress(clientIP) else { throw Problem.badRequest("client_ip is not an IP address") }
                ip = given
            }
        }
        try rateLimiter.admit(ip)
        let tokens = try await command("refresh") { () async throws(EngineError) in
            try await engine.refresh(token, ip: ip, customClaims: claims ?? [:])
        }
        let viaCookie = fromBody == nil
        var response = JSONBody.response(tokens.json(now: engine.configuration.clock.now(), includeRefreshToken: !viaCookie))
        response.headers[.cacheControl] = "no-store"
        if browser.refreshCookie {
            let maxAge = max(0, tokens.refreshTokenExpiresAt.seconds - engine.configuration.clock.now().seconds)
            response.headers[.setCookie] = "\(browser.cookieName)=\(tokens.refreshToken); Path=\(refreshPath); Max-Age=\(maxAge); HttpOnly; Secure; SameSite=Strict"
        }
        addCORS(request, to: &response.headers)
        return response
    }

    /// CORS preflight for browser refresh from an allowed origin.
    func preflight(_ request: Request) throws -> Response {
        var response = Response(status: .noContent)
        guard addCORS(request, to: &response.headers) else { throw Problem(.forbidden, "origin-not-allowed", "Origin not allowed",
                                                                          detail: "this origin is not in cors-origins") }
        response.headers[.accessControlAllowMethods] = "POST"
        response.headers[.accessControlAllowHeaders] = "Content-Type"
        response.headers[.accessControlMaxAge] = "600"
        return response
    }

    @discardableResult
    func addCORS(_ request: Request, to headers: inout HTTPFields) -> Bool {
        guard let origin = request.headers[.origin], configuration.browser.allowedOrigins.contains(origin) else { return false }
        headers[.accessControlAllowOrigin] = origin
        headers[.accessControlAllowCredentials] = "true"
        headers[.vary] = "Origin"
        return true
    }

    /// RFC 7662: what a token is, for a caller with sessions:read. Anything not active is
    /// `{"active": false}` and nothing more, whatever the reason.
    func introspect(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .sessionsRead)
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        guard let token = form["token"] else { throw Problem.badRequest("the parameter \"token\" is required") }
        try checkToken(token)
        let inactive = JSONBody.response(["active": false])
        if token.hasPrefix(RefreshTokenCodec.prefix) {
            guard let found = engine.introspect(refreshToken: token), found.isActive, let session = found.info else { return inactive }
            return JSONBody.response([
                "active": true, "token_type": "refresh_token", "sub": .string(session.user), "sid": .string(session.id.description),
                "iss": .string(engine.configuration.issuer), "exp": .integer(session.expiresAt.seconds),
                "iat": .integer(session.createdAt.seconds),
            ])
        }
        guard let claims = try? engine.verifyAccessToken(token) else { return inactive }
        var o: [String: JSONValue] = [
            "active": true, "token_type": "access_token", "sub": .string(claims.subject), "sid": .string(claims.sessionID),
            "iss": .string(claims.issuer), "aud": .array(claims.audience.map { .string($0) }), "exp": .integer(claims.expiresAt),
            "iat": .integer(claims.issuedAt), "jti": .string(claims.tokenID),
        ]
        if let nbf = claims.notBefore { o["nbf"] = .integer(nbf) }
        return JSONBody.response(.object(o))
    }

    /// RFC 7009: revoking either token ends its session. Answers 200 for tokens that are
    /// invalid or already revoked, as the RFC requires, so the answer tells nothing.
    func revokeToken(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .sessionsWrite)
        let form = try await FormBody.read(request, limit: limits.maxBodyBytes)
        guard let token = form["token"] else { throw Problem.badRequest("the parameter \"token\" is required") }
        try checkToken(token)
        var session: SessionID?
        if token.hasPrefix(RefreshTokenCodec.prefix) {
            session = engine.introspect(refreshToken: token)?.session
        } else if let claims = try? engine.verifyAccessToken(token) {
            session = SessionID(hex: claims.sessionID)
        }
        if let session, engine.session(session) != nil {
            do {
                try await command("logout") { () async throws(EngineError) in try await engine.logout(session: session) }
            } catch let e as EngineError where e.kind == .sessionNotFound || e.kind == .sessionRevoked || e.kind == .sessionExpired {
                // Ended meanwhile: the outcome the caller asked for.
            }
        }
        return Response(status: .ok)
    }
}
