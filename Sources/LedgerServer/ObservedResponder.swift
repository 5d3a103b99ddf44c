import HTTPTypes
import Hummingbird
import LedgerCrypto
import LedgerEngine
import Logging

/// Wraps the router: gives each request an id (echoed in `X-Request-ID`), refuses
/// oversized heads, turns every error into a problem document, counts and times the
/// request by route, and logs one line for it. Nothing it logs or counts holds a header
/// value, a body, a query or a token: routes are the router's patterns, not the paths.
///
/// A responder around the router's rather than a router middleware: Hummingbird runs a
/// middleware through two more async calls per request, each holding a copy of the request
/// and its context, and the deepest a request's async calls ever went stays allocated for
/// as long as its connection is open (a task keeps its stack's high-water mark). For an
/// idle event subscriber that was about 3 KiB of its memory (BENCHMARKS.md).
struct ObservedResponder<Router: HTTPResponder>: HTTPResponder where Router.Context == ServerContext {
    typealias Context = ServerContext
    let router: Router
    let metrics: ServerMetrics
    let maxHeaderBytes: Int
    let maxBodyBytes: Int
    let allowedMethods: @Sendable (String) -> [HTTPRequest.Method]

    func respond(to request: Request, context: ServerContext) async throws -> Response {
        let started = ContinuousClock.now
        var context = context
        identify(&context)
        let outcome: Result<Response, any Error>
        do {
            try checkHead(request)
            // The router records the matched route in the context's shared endpoint path.
            outcome = .success(try await router.respond(to: request, context: context))
        } catch {
            outcome = .failure(error)
        }
        return try finish(outcome, request: request, context: context, started: started)
    }

    /// Hummingbird already tags the request's log lines with an id: that one is echoed.
    private func identify(_ context: inout ServerContext) {
        if let id = context.logger[metadataKey: "hb.request.id"] {
            context.requestID = "\(id)"
        } else {
            context.requestID = SecureRandom.bytes(16).hexString
            context.logger[metadataKey: "hb.request.id"] = .string(context.requestID)
        }
    }

    /// The response (a problem document for an error) with its request id; counted, timed, logged.
    private func finish(_ outcome: Result<Response, any Error>, request: Request, context: ServerContext, started: ContinuousClock.Instant) throws -> Response {
        var response: Response
        switch outcome {
        case let .success(answer) where answer.status.code >= 400 && answer.headers[.contentType] == nil:
            // The router answers the errors Hummingbird throws (an unknown route) itself,
            // with a bare status: they get the same problem documents as the routes' own.
            let problem = self.problem(for: HTTPError(answer.status), request: request, context: context)
            response = try problem.response(from: request, context: context)
        case let .success(answer):
            response = answer
        case let .failure(error):
            let problem = self.problem(for: error, request: request, context: context)
            response = try problem.response(from: request, context: context)
        }
        response.headers[.requestID] = context.requestID
        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - started
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, duration: elapsed)
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue), "route": .string(route), "status": .stringConvertible(response.status.code),
            "ms": .stringConvertible(Double(elapsed.nanoseconds) / 1e6),
        ])
        return response
    }

    private func checkHead(_ request: Request) throws {
        var size = request.method.rawValue.utf8.count + (request.uri.path.utf8.count) + (request.uri.query?.utf8.count ?? 0)
        for field in request.headers { size += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        if size > maxHeaderBytes { throw Problem.headersTooLarge(maxHeaderBytes) }
    }

    private func problem(for error: any Error, request: Request, context: ServerContext) -> Problem {
        switch error {
        case let p as Problem:
            return p
        case let e as EngineError:
            // The caller is told only that nothing changed; the operator needs the reason
            // (a full disk, a damaged environment), which names no secret.
            if e.kind == .storage { context.logger.error("storage failure", metadata: ["error": .string(e.message)]) }
            return Problem(e)
        case let e as HTTPError where e.status == .notFound:
            let allowed = allowedMethods(request.uri.path)
            return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
        case let e as HTTPError where e.status == .contentTooLarge:
            return .bodyTooLarge(maxBodyBytes)
        case let e as HTTPError where (400..<500).contains(e.status.code):
            return Problem(e.status, "invalid-request", e.status.reasonPhrase, detail: "the request could not be handled as sent")
        default:
            context.logger.error("request failed", metadata: ["error": .string(String(reflecting: type(of: error)))])
            return .internalError
        }
    }
}

extension HTTPField.Name {
    /// Echoes the request's id, which its log lines carry.
    static let requestID = HTTPField.Name("X-Request-ID")!
}
