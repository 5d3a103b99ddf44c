import Hummingbird
import LedgerCodec
import LedgerEngine
import LedgerTokens

extension Routes {
    func addKeyRoutes(to router: Router<ServerContext>) {
        router.get(".well-known/jwks.json") { _, _ in jwks() }
        let v1 = router.group("v1")
        v1.post("apikeys") { request, context in try await createAPIKey(request, context) }
        v1.get("apikeys") { request, context in try listAPIKeys(request, context) }
        v1.delete("apikeys/:key") { request, context in try await revokeAPIKey(request, context) }
        v1.post("keys/rotate") { request, context in try await rotateSigningKey(request, context) }
    }

    /// The published keys. A new key is published `key-publish-ahead-seconds` before it
    /// signs, and the cache lifetime is at most that (``ServerConfiguration/validate()``), so
    /// a verifier that refreshes on schedule always holds the key of the tokens it meets;
    /// after an immediate rotation it refetches on the unknown `kid`.
    func jwks() -> Response {
        var response = JSONBody.response(engine.keys.jwks.document, contentType: "application/jwk-set+json")
        response.headers[.cacheControl] = "public, max-age=\(configuration.jwksMaxAgeSeconds)"
        return response
    }

    /// Starts a signing-key rotation (published now, signing after the publish-ahead time),
    /// or with `{"immediately": true}` makes a new key sign at once.
    func rotateSigningKey(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .admin)
        var body = try await JSONObjectReader.read(request, limit: limits.maxBodyBytes, allowEmpty: true)
        let immediately = try body.optionalBool("immediately") ?? false
        try body.finish()
        let rotation: KeyRotation
        do { rotation = try await engine.rotateSigningKey(immediately: immediately) } catch let error as EngineError {
            throw Problem(error)
        }
        context.logger.notice("signing key rotation", metadata: context.logMetadata(["kid": .string(rotation.kid), "active": .stringConvertible(rotation.isActive)]))
        return JSONBody.response(["kid": .string(rotation.kid), "activates_at": .string(rotation.activatesAt.description),
                                  "active": .bool(rotation.isActive)])
    }

    /// Creates an API key; its secret is in this answer only.
    func createAPIKey(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .admin)
        var body = try await JSONObjectReader.read(request, limit: limits.maxBodyBytes)
        let label = try body.string("label")
        let names = try body.optionalStringList("scopes") ?? []
        try body.finish()
        let scopes = try APIKeyStore.parseScopes(names)
        guard label.utf8.count <= 256 else { throw Problem.badRequest("label is limited to 256 bytes") }
        let (secret, event) = APIKeyStore.creation(scopes: scopes, label: label)
        let recorded = try await command("apikey.create") { () async throws(EngineError) in try await engine.appendGlobal([event]) }
        apiKeys.apply(event, at: recorded)
        context.logger.notice("api key created", metadata: context.logMetadata(["key_id": .string(secret.keyID)]))
        var json = apiKeys.key(secret.keyID)!.json.objectValue!
        json["key"] = .string(secret.text)
        var response = JSONBody.response(.object(json), status: .created)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func listAPIKeys(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .admin)
        return JSONBody.response(["keys": .array(apiKeys.all.map(\.json))])
    }

    func revokeAPIKey(_ request: Request, _ context: ServerContext) async throws -> Response {
        var context = context
        try authorize(request, &context, .admin)
        guard let id = context.parameters.get("key"), let key = apiKeys.key(id) else {
            throw Problem(.notFound, "api-key-not-found", "No such API key", detail: "list the keys with GET /v1/apikeys")
        }
        if key.revokedAt == nil {
            let event = AuthEvent.apiKeyRevoked(APIKeyRevoked(keyID: id))
            let recorded = try await command("apikey.revoke") { () async throws(EngineError) in try await engine.appendGlobal([event]) }
            apiKeys.apply(event, at: recorded)
        }
        return Response(status: .noContent)
    }
}

extension APIKeyStore {
    /// Scope names as given by a person or a request; at least one, each known.
    public static func parseScopes(_ names: [String]) throws(Problem) -> Set<Scope> {
        var scopes = Set<Scope>()
        for name in names {
            guard let s = Scope(rawValue: name) else {
                throw Problem.badRequest("unknown scope \"\(name)\"; known: \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scopes.insert(s)
        }
        guard !scopes.isEmpty else { throw Problem.badRequest("give at least one scope") }
        return scopes
    }
}

extension APIKeyRecord {
    var json: JSONValue {
        var o: [String: JSONValue] = ["key_id": .string(keyID), "label": .string(label), "scopes": .array(scopes.sorted().map { .string($0.rawValue) }),
                                      "created_at": .string(createdAt.description)]
        if let revokedAt { o["revoked_at"] = .string(revokedAt.description) }
        return .object(o)
    }
}
