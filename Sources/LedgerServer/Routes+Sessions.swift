import Hummingbird
import LedgerCodec
import LedgerEngine
import LedgerTokens

extension Routes {
    func addSessionRoutes(to router: Router<ServerContext>) {
        let v1 = router.group("v1")
        v1.post("sessions") { request, context in try await login(request, context) }
        v1.get("users/:user/sessions") { request, context in try listSessions(request, context) }
        v1.delete("users/:user/sessions") { request, context in try await logoutAll(request, context) }
        v1.delete("users/:user/sessions/:session") { request, context in try await logout(request, context) }
        v1.post("users/:user/sessions/:session/revoke") { request, context in try await revoke(request, context) }
        v1.put("users/:user/ban") { request, context in try await ban(request, context) }
        v1.delete("users/:user/ban") { request, context in try await unban(request, context) }
        v1.post("users/:user/forget") { request, context in try await forget(request, context) }
        v1.get("users/:user/history") { request, context in try history(request, context) }
    }

    /// The backend has authenticated the user; open a session on their device.
    func login(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .sessionsWrite)
        var body = try await JSONObjectReader.read(request, limit: limits.maxBodyBytes)
        let user = try body.string("user")
        let label = try body.string("device_label")
        let userAgent = try body.optionalString("user_agent") ?? ""
        let ip = try body.optionalString("client_ip").map { text throws -> IPAddress in
            guard let ip = IPAddress(text) else { throw Problem.badRequest("client_ip is not an IP address") }
            return ip
        } ?? clientAddress(request, context)
        let claims = try body.optionalObject("claims") ?? [:]
        try body.finish()
        try rateLimiter.admit(ip)
        let (tokens, session) = try await command("login") { () async throws(EngineError) in
            try await engine.login(LoginRequest(user: user, device: Device(label: label, userAgent: userAgent, ip: ip), customClaims: claims))
        }
        var json = tokens.json(now: engine.configuration.clock.now()).objectValue!
        json["session_info"] = session.json
        var response = JSONBody.response(.object(json), status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func listSessions(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .sessionsRead)
        let user = try user(context)
        let current = request.uri.queryParameters.get("current").flatMap { SessionID(hex: String($0)) }
        let sessions = engine.activeSessions(user: user, current: current)
        return JSONBody.response(["user": .string(user), "sessions": .array(sessions.map(\.json))])
    }

    /// Logs out one session of the user named in the path.
    func logout(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .sessionsWrite)
        let user = try user(context)
        let id = try sessionID(context)
        _ = try ownedSession(id, of: user)
        try await command("logout") { () async throws(EngineError) in try await engine.logout(session: id) }
        return Response(status: .noContent)
    }

    /// Logs out every session of the user, or every one but `except` (after a password change).
    func logoutAll(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .sessionsWrite)
        let user = try user(context)
        var except: SessionID?
        if let text = request.uri.queryParameters.get("except") {
            guard let id = SessionID(hex: String(text)) else { throw Problem(EngineError(.sessionNotFound, "")) }
            _ = try ownedSession(id, of: user)
            except = id
        }
        try await command("logout_all") { () async throws(EngineError) in
            try await engine.logoutAll(user: user, except: except, reason: except == nil ? .logoutAll : .passwordChange)
        }
        return Response(status: .noContent)
    }

    /// Revokes a session as an administrator; the actor recorded is the API key.
    func revoke(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        let key = try authorize(request, &context, .admin)
        let user = try user(context)
        let id = try sessionID(context)
        _ = try ownedSession(id, of: user)
        try await command("revoke") { () async throws(EngineError) in try await engine.revoke(session: id, actor: "apikey:" + key.keyID) }
        return Response(status: .noContent)
    }

    func ban(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        let key = try authorize(request, &context, .admin)
        let user = try user(context)
        var body = try await JSONObjectReader.read(request, limit: limits.maxBodyBytes)
        let reason = try body.string("reason")
        try body.finish()
        try await command("ban") { () async throws(EngineError) in try await engine.ban(user: user, actor: "apikey:" + key.keyID, reason: reason) }
        return Response(status: .noContent)
    }

    func unban(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        let key = try authorize(request, &context, .admin)
        let user = try user(context)
        try await command("unban") { () async throws(EngineError) in try await engine.unban(user: user, actor: "apikey:" + key.keyID) }
        return Response(status: .noContent)
    }

    /// Forgets the user: every session ends, the user's data key is destroyed (their
    /// personal fields in the log can no longer be read), and the id is retired.
    func forget(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        let key = try authorize(request, &context, .admin)
        let user = try user(context)
        try await command("forget") { () async throws(EngineError) in try await engine.forget(user: user, actor: "apikey:" + key.keyID) }
        return Response(status: .noContent)
    }

    /// The user's history, oldest first, a page at a time: `from` a log position, at most
    /// `limit` events; `next` is the position to ask for next, or null at the end.
    func history(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .sessionsRead)
        let user = try user(context)
        let query = request.uri.queryParameters
        let from = try query.get("from").map { text throws -> UInt64 in
            guard let v = UInt64(String(text)), v >= 1 else { throw Problem.badRequest("from must be a log position (1 or more)") }
            return v
        } ?? 1
        let limit = try query.get("limit").map { text throws -> Int in
            guard let v = Int(String(text)), (1...1000).contains(v) else { throw Problem.badRequest("limit must be 1 to 1000") }
            return v
        } ?? 100
        let page = try engine.history(user: user, from: from, limit: limit)
        return JSONBody.response(["user": .string(user), "events": .array(page.events.map { $0.json }),
                                  "next": page.next.map { .integer(Int64($0)) } ?? .null])
    }
}
