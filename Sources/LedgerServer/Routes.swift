import Hummingbird
import LedgerCodec
import LedgerEngine
import LedgerTokens
import Synchronization

/// What every route needs: the engine, the API keys, and the request rules. The routes
/// themselves are in `Routes+<Area>.swift`, one area each.
struct Routes: Sendable {
    let engine: AuthEngine
    let apiKeys: APIKeyStore
    let configuration: ServerConfiguration
    let addresses: ClientAddressResolver
    let rateLimiter: RateLimiter
    let metrics: ServerMetrics
    /// Events encoded once for every subscriber of `GET /v1/events`.
    let eventFrames = EventFrames()
    /// The heartbeat (and end) of every event stream.
    let heartbeat: StreamHeartbeat

    var limits: RequestLimits { configuration.limits }

    /// Checks the caller's API key for `scope`: 401 without a valid key, 403 without the scope.
    @discardableResult
    func authorize(_ request: Request, _ context: inout ServerContext, _ scope: Scope) throws -> APIKeyRecord {
        guard let key = presentedAPIKey(request) else { throw Problem.missingAPIKey }
        guard let record = apiKeys.authenticate(key) else { throw Problem.invalidAPIKey }
        context.apiKeyID = record.keyID
        guard record.allows(scope) else { throw Problem.forbidden(needs: scope) }
        return record
    }

    /// The API key in `Authorization: Bearer`, if any (too long a value is no key).
    func presentedAPIKey(_ request: Request) -> String? {
        guard let value = request.headers[.authorization], value.utf8.count <= limits.maxTokenBytes + 7 else { return nil }
        guard let space = value.utf8.firstIndex(of: UInt8(ascii: " ")), HeaderText.equals(value.utf8[..<space], "bearer") else { return nil }
        let key = value[value.index(after: space)...]
        return key.isEmpty ? nil : String(key)
    }

    func clientAddress(_ request: Request, _ context: ServerContext) -> IPAddress {
        addresses.address(of: request, peer: context.peer)
    }

    /// Runs an engine command, timing it as the commit metric.
    func command<T>(_ name: String, _ body: () async throws(EngineError) -> T) async throws -> T {
        let started = ContinuousClock.now
        defer { metrics.commit(name, duration: ContinuousClock.now - started) }
        return try await body()
    }

    func checkToken(_ token: String) throws {
        if token.utf8.count > limits.maxTokenBytes { throw Problem.tokenTooLong(limits.maxTokenBytes) }
    }

    /// A session id from the path; 404 for anything that is not one (it names no session).
    func sessionID(_ context: ServerContext, _ name: String = "session") throws -> SessionID {
        guard let text = context.parameters.get(name), let id = SessionID(hex: text) else {
            throw Problem(EngineError(.sessionNotFound, ""))
        }
        return id
    }

    func user(_ context: ServerContext) throws -> String {
        guard let user = context.parameters.get("user"), !user.isEmpty else { throw Problem.badRequest("the user id is missing") }
        // The engine's limit, checked for reads too: no user can have a longer id, and a
        // route that answers "no sessions" for one would hide a caller's mistake.
        guard user.utf8.count <= FieldLimits.user else {
            throw Problem.badRequest("a user id must be 1 to \(FieldLimits.user) bytes of UTF-8; got \(user.utf8.count)")
        }
        return user
    }

    /// The session, if it is active and belongs to `user`. A session of another user is
    /// answered exactly like one that does not exist, so ids cannot be probed across users.
    func ownedSession(_ id: SessionID, of user: String) throws -> SessionInfo {
        guard let info = engine.session(id), info.user.utf8.elementsEqual(user.utf8) else {
            throw Problem(EngineError(.sessionNotFound, ""))
        }
        return info
    }
}

extension SessionInfo {
    var json: JSONValue {
        ["id": .string(id.description), "user": .string(user), "device_label": .string(deviceLabel), "user_agent": .string(userAgent),
         "ip": .string(ip.description), "first_seen": .string(createdAt.description), "last_seen": .string(lastSeenAt.description),
         "expires_at": .string(expiresAt.description), "current": .bool(isCurrent)]
    }
}

extension SessionTokens {
    func json(now: Timestamp, includeRefreshToken: Bool = true) -> JSONValue {
        var o: [String: JSONValue] = [
            "session": .string(session.description), "token_type": "Bearer", "access_token": .string(accessToken),
            "expires_in": .integer(max(0, accessTokenExpiresAt.seconds - now.seconds)),
            "access_token_expires_at": .string(accessTokenExpiresAt.description),
            "refresh_token_expires_at": .string(refreshTokenExpiresAt.description),
        ]
        if includeRefreshToken { o["refresh_token"] = .string(refreshToken) }
        return .object(o)
    }
}
