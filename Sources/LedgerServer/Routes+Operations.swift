import Hummingbird
import LedgerCodec
import LedgerEngine
import LedgerTokens
import NIOCore
import ServiceLifecycle

extension Routes {
    func addOperationRoutes(to router: Router<ServerContext>) {
        router.get("healthz") { _, _ in JSONBody.response(["status": "ok"]) }
        router.get("readyz") { _, _ in
            // Handlers run inside the server's task tree, so they see its graceful shutdown.
            !Task.isShuttingDownGracefully
                ? JSONBody.response(["status": "ready", "position": .integer(Int64(engine.statistics.position))])
                : JSONBody.response(["status": "shutting-down"], status: .serviceUnavailable)
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.scrape(engine))))
        }
        router.group("v1").get("revocations") { request, context in try revocations(request, context) }
        router.group("v1").get("projection") { request, context in try projection(request, context) }
    }

    /// The revoked sessions as of one log position, with that position's chain hash: a new
    /// subscriber starts from this, then streams events from `position + 1`.
    func revocations(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .eventsRead)
        let state = engine.revocationState()
        let now = engine.configuration.clock.now()
        let entries = state.refused(at: now).sorted { $0.key < $1.key }.map { id, until -> JSONValue in
            ["session": .string(id.description), "refuse_until": .string(until.description)]
        }
        return JSONBody.response(["position": .integer(Int64(state.position)), "chain_hash": .string(state.chainHash.description),
                                  "revoked": .array(entries)])
    }

    /// The projection's position and digest (admin): after a restart, equal to what
    /// `authledger rebuild` prints for the log through that position.
    func projection(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .admin)
        let (position, digest) = engine.projectionCheckpoint
        return JSONBody.response(["position": .integer(Int64(position)), "digest": .string(digest.hex)])
    }
}
