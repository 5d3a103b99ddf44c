import Hummingbird
import LedgerCodec
import LedgerCrypto
import LedgerEngine
import LedgerTokens
import NIOCore

/// The log's signed checkpoints and proofs (`docs/PROOFS.md`): what an auditor fetches once
/// and then checks offline with the verifier key.
extension Routes {
    func addProofRoutes(to router: Router<ServerContext>) {
        let log = router.group("v1/log")
        log.get("verifier-key") { _, _ in Self.text(engine.checkpoints.key.verifierKey + "\n") }
        log.get("checkpoint") { request, context in try checkpoint(request, context) }
        log.get("proofs/inclusion") { request, context in try inclusionProof(request, context) }
        log.get("proofs/consistency") { request, context in try consistencyProof(request, context) }
        log.get("events/:position/proof") { request, context in try proofBundle(request, context) }
    }

    /// A C2SP note or proof: text, one item per line.
    static func text(_ body: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-store"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// The latest signed checkpoint (one is signed first if the log has none yet).
    func checkpoint(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .eventsRead)
        let latest = try engine.checkpoints.latest ?? engine.checkpoints.sign()
        return Self.text(latest.note)
    }

    /// `?position=P&size=S`: the inclusion proof of the event at P in the tree of S events
    /// (default: the latest checkpoint's size, signing one if it does not cover P).
    func inclusionProof(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .eventsRead)
        let query = request.uri.queryParameters
        guard let position = try Self.size(query.get("position"), "position") else { throw Problem.badRequest("position is required") }
        let size = try Self.size(query.get("size"), "size") ?? engine.checkpoints.covering(position).checkpoint.size
        let proof = try logAnswer { try engine.log.inclusionProof(position: position, size: size) }
        return JSONBody.response(["position": .integer(Int64(position)), "size": .integer(Int64(size)),
                                  "leaf_index": .integer(Int64(position - 1)), "proof": Self.hashes(proof)])
    }

    /// `?from=A&to=B`: the consistency proof between the trees of A and B events. Without
    /// `to`, B is the latest checkpoint, which comes with the proof.
    func consistencyProof(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .eventsRead)
        let query = request.uri.queryParameters
        guard let from = try Self.size(query.get("from"), "from") else { throw Problem.badRequest("from is required") }
        var answer: [String: JSONValue] = ["from": .integer(Int64(from))]
        let to: UInt64
        if let given = try Self.size(query.get("to"), "to") {
            to = given
        } else {
            let latest = try engine.checkpoints.covering(from)
            to = latest.checkpoint.size
            answer["checkpoint"] = .string(latest.note)
        }
        guard from >= 1, from <= to else { throw Problem.badRequest("a consistency proof needs 1 ≤ from ≤ to; got \(from) and \(to)") }
        let proof = from == to ? [] : try logAnswer { try engine.log.consistencyProof(from: from, to: to) }
        answer["to"] = .integer(Int64(to))
        answer["proof"] = Self.hashes(proof)
        return JSONBody.response(.object(answer))
    }

    /// The C2SP tlog-proof bundle of one event.
    func proofBundle(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .eventsRead)
        guard let text = context.parameters.get("position"), let position = UInt64(text), position >= 1, position <= engine.statistics.position else {
            throw Problem(.notFound, "event-not-found", "No such event", detail: "the log has no event at that position; it holds \(engine.statistics.position)")
        }
        return Self.text(try engine.proofBundle(position: position).text)
    }

    private static func size(_ text: String?, _ name: String) throws -> UInt64? {
        guard let text else { return nil }
        guard let v = UInt64(text) else { throw Problem.badRequest("\(name) must be a whole number") }
        return v
    }

    private static func hashes(_ proof: [SHA256Digest]) -> JSONValue { .array(proof.map { .string(Base64.encode($0.bytes)) }) }

    /// A proof asked for a size or position the log does not have is the caller's mistake.
    private func logAnswer<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw Problem.badRequest("\(error)") }
    }
}
