import HTTPTypes
import Hummingbird
import LedgerCodec
import LedgerEngine
import LedgerTokens
import NIOCore
import ServiceLifecycle
import Synchronization

extension Routes {
    func addEventRoutes(to router: Router<ServerContext>) {
        router.group("v1").get("events") { request, context in try events(request, context) }
    }

    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// What a subscriber follows unless it asks for other types: every event that makes
    /// a session's tokens refused.

    /// The log as Server-Sent Events. Each event's `id` is its log position; a `heartbeat`
    /// event (also with an `id`) carries the position up to which every record was
    /// examined, so a filtered subscriber's `Last-Event-ID` moves on even when nothing
    /// matches for a long time. Reconnecting with `Last-Event-ID` resumes right after it:
    /// the stream reads the log by position, so nothing is lost or repeated.
    func events(_ request: Request, _ context: ServerContext) throws -> Response {
        var context = context
        try authorize(request, &context, .eventsRead)
        let query = request.uri.queryParameters
        func position(_ text: String?, _ name: String) throws -> UInt64? {
            guard let text else { return nil }
            guard let v = UInt64(text) else { throw Problem.badRequest("\(name) must be a log position (a whole number)") }
            return v
        }
        let start: UInt64
        if let last = try position(request.headers[Self.lastEventID], "Last-Event-ID") {
            start = last + 1
        } else if let from = try position(query.get("from").map { String($0) }, "from") {
            start = max(from, 1)
        } else {
            start = engine.statistics.position + 1
        }
        // A position past the head is one this log never had (it was restored from an older
        // backup or replaced): waiting for the log to reach it would skip every event in
        // between, so the subscriber is told to start again from the revocation state.
        let head = engine.statistics.position
        guard start <= head + 1 else {
            throw Problem(.conflict, "position-unknown", "The log has no such position",
                          detail: "the log ends at position \(head), before \(start - 1); load GET /v1/revocations again and follow from its position")
        }
        let until = try position(query.get("until").map { String($0) }, "until")
        let types = try Self.eventTypes(query.get("types").map { String($0) })
        let prover = try proofs(query.get("proofs"))
        let tail = engine.tail(from: start, types: types)
        let heartbeat = self.heartbeat
        let metrics = self.metrics, frames = self.eventFrames
        var headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-store"]
        headers[HTTPField.Name("X-Accel-Buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            metrics.subscriber(connected: true)
            defer { metrics.subscriber(connected: false) }
            try await Self.stream(tail, from: start, until: until, heartbeat: heartbeat, metrics: metrics, frames: frames,
                                  proofs: prover, into: &writer)
            try await writer.finish(nil)
        })
    }

    /// `types=a,b` names event types; `all` is every type; absent: the revocation types.
    static func eventTypes(_ text: String?) throws -> Set<EventType>? {
        guard let text else { return AuthEngine.revocationTypes }
        if text == "all" { return nil }
        var types = Set<EventType>()
        for name in text.split(separator: ",") {
            guard let t = EventType(name: String(name)) else {
                throw Problem.badRequest("unknown event type \"\(name)\"; known: \(EventType.allCases.map(\.description).joined(separator: ", "))")
            }
            types.insert(t)
        }
        return types
    }

    /// The bundles of a batch's events by position, or nil when the subscriber did not ask.
    typealias Prover = @Sendable ([UInt64]) -> [UInt64: String]

    /// `proofs=true`: each event carries its tlog-proof bundle, against one checkpoint per
    /// batch that covers it (signed then if the latest is older).
    func proofs(_ text: String?) throws -> Prover? {
        switch text {
        case nil, "false": return nil
        case "true": break
        default: throw Problem.badRequest("proofs must be true or false")
        }
        let engine = self.engine
        return { positions in
            guard let last = positions.max(), let signed = try? engine.checkpoints.covering(last) else { return [:] }
            var out: [UInt64: String] = [:]
            for p in positions { out[p] = try? engine.log.proofBundle(position: p, checkpoint: signed.checkpoint, note: signed.note).text }
            return out
        }
    }

    /// Writes batches as they come, one write per batch, and a heartbeat each time the
    /// server's heartbeat ticks (``StreamHeartbeat`` wakes every stream at once: no stream
    /// keeps a timer or a task of its own, so an idle subscriber costs little more than its
    /// connection). Ends at `until`, when the engine shuts down, or when the server begins a
    /// graceful shutdown (an open stream would otherwise hold the shutdown up forever).
    private static func stream(_ tail: EngineTail, from start: UInt64, until: UInt64?, heartbeat: StreamHeartbeat,
                               metrics: ServerMetrics, frames: EventFrames, proofs: Prover?,
                               into writer: inout any ResponseBodyWriter) async throws {
        var cursor = StreamCursor(through: start - 1, until: until, frames: frames, proofs: proofs, metrics: metrics)
        if cursor.finished { return }
        var batches = tail.makeAsyncIterator()
        try await withGracefulShutdownHandler {
            while let wake = try await batches.nextOrWake() {
                let bytes: ByteBuffer?
                switch wake {
                case .woken:
                    if heartbeat.ending { return }
                    // A filtered tail is not woken for batches without its types, so the
                    // tail says how far nothing it takes has been published.
                    bytes = cursor.heartbeat(quietThrough: tail.quietThrough(after: cursor.through))
                case let .batch(batch):
                    bytes = cursor.bytes(for: batch)
                }
                if let bytes { try await writer.write(bytes) }
                if cursor.finished { return }
            }
        } onGracefulShutdown: {
            heartbeat.end()
        }
    }

    static func write(_ event: LoggedEvent, proof: String? = nil, into buffer: inout ByteBuffer) {
        buffer.writeString("id: \(event.position)\nevent: \(event.event.type)\ndata: ")
        // One line: the JSON form escapes every line break, so no `data:` line can end early.
        if let proof, var json = event.json.objectValue {
            json["proof"] = .string(proof)
            buffer.writeString(JSONValue.object(json).serialized(alsoEscaping: TextEscaping.isEscaped))
        } else {
            buffer.writeString(event.jsonLine)
        }
        buffer.writeString("\n\n")
    }

    static func heartbeat(_ through: UInt64, into buffer: inout ByteBuffer) {
        buffer.writeString("id: \(through)\nevent: heartbeat\ndata: {\"position\":\(through)}\n\n")
    }
}

/// A stream's positions and what it writes for each batch or heartbeat: the stream's
/// bookkeeping, apart from its loop (which only waits and writes).
struct StreamCursor {
    /// Every record through this position has been examined.
    private(set) var through: UInt64
    /// The position the subscriber last heard of (an event's or a heartbeat's id).
    private var sentThrough: UInt64
    let until: UInt64?
    let frames: EventFrames
    let proofs: Routes.Prover?
    let metrics: ServerMetrics

    init(through: UInt64, until: UInt64?, frames: EventFrames, proofs: Routes.Prover?, metrics: ServerMetrics) {
        (self.through, self.sentThrough, self.until) = (through, through, until)
        (self.frames, self.proofs, self.metrics) = (frames, proofs, metrics)
    }

    /// Whether the stream has reached `until`.
    var finished: Bool { until.map { through >= $0 } ?? false }

    /// A heartbeat at `position`, the furthest the subscriber may resume after.
    mutating func heartbeat(quietThrough position: UInt64) -> ByteBuffer {
        through = Swift.max(through, position)
        var buffer = ByteBuffer()
        Routes.heartbeat(through, into: &buffer)
        sentThrough = through
        return buffer
    }

    /// What to write for `batch`, if anything. A batch with nothing the subscriber asked for
    /// (a tail is woken for commits that may hold its types, or of unknown types) only moves
    /// the position on, which the next heartbeat reports: every batch before it was written.
    mutating func bytes(for batch: EngineTail.Batch) -> ByteBuffer? {
        through = batch.through
        if batch.events.isEmpty && !finished { return nil }
        var buffer: ByteBuffer
        if let proofs {
            // Bundles depend on the checkpoint of the moment: not shared frames.
            buffer = ByteBuffer()
            let bundles = proofs(batch.events.map(\.position))
            for event in batch.events { Routes.write(event, proof: bundles[event.position], into: &buffer) }
        } else {
            buffer = frames.frames(for: batch.events)
        }
        if let last = batch.events.last?.position { sentThrough = last }
        if finished && sentThrough < through {
            Routes.heartbeat(through, into: &buffer)
            sentThrough = through
        }
        metrics.eventsStreamed.increment(by: Int64(batch.events.count))
        return buffer.readableBytes > 0 ? buffer : nil
    }
}

/// Each event's Server-Sent Events frame, encoded once for every subscriber: a revocation
/// fanned out to thousands of streams is serialised once, and a single-event batch is
/// written from the shared bytes without a copy.
final class EventFrames: Sendable {
    private struct Cache {
        var frames: [UInt64: ByteBuffer] = [:]
    }
    private let cache = Mutex(Cache())
    /// Recent positions kept; an older event is encoded again (a subscriber catching up).
    private let capacity: Int

    init(capacity: Int = 4_096) { self.capacity = capacity }

    func frame(for event: LoggedEvent) -> ByteBuffer {
        if let hit = cache.withLock({ $0.frames[event.position] }) { return hit }
        var buffer = ByteBuffer()
        Routes.write(event, into: &buffer)
        cache.withLock { c in
            if c.frames.count >= capacity { c.frames.removeAll(keepingCapacity: true) }
            c.frames[event.position] = buffer
        }
        return buffer
    }

    /// The frames of `events`, in order, as one buffer (one write).
    func frames(for events: [LoggedEvent]) -> ByteBuffer {
        if events.count == 1 { return frame(for: events[0]) }
        var buffer = ByteBuffer()
        for event in events {
            var f = frame(for: event)
            buffer.writeBuffer(&f)
        }
        return buffer
    }
}
