import LedgerCodec
import Dispatch
import Synchronization

/// Gathers requests from many concurrent callers and hands them to one handler in
/// batches, on a dedicated serial queue (never the Swift cooperative pool, since the
/// handler blocks on fsync).
///
/// While one batch commits, newer requests queue up and form the next batch: the
/// batch size adapts to the load with no timer and no added latency when idle. Each
/// caller resumes with its own result once the handler returns.
public final class GroupCommitQueue<Request: Sendable, Response: Sendable>: Sendable {
    /// Processes a batch and returns exactly one result per request, in order.
    public typealias Handler = @Sendable ([Request]) -> [Result<Response, any Error>]

    // Inlinable (with the state it touches) so that the engine's queue is specialised for
    // its request and response types: unspecialised, every batch looked up generic
    // metadata at run time.
    @usableFromInline
    struct Waiting: Sendable {
        @usableFromInline var request: Request
        @usableFromInline var continuation: UnsafeContinuation<Response, any Error>
        @inlinable init(request: Request, continuation: UnsafeContinuation<Response, any Error>) {
            self.request = request
            self.continuation = continuation
        }
    }

    @usableFromInline
    struct State: Sendable {
        @usableFromInline var pending: [Waiting] = []
        @usableFromInline var draining = false
        @inlinable init() {}
    }

    @usableFromInline let state = Mutex(State())
    @usableFromInline let queue: DispatchQueue
    @usableFromInline let resumer: DispatchQueue
    @usableFromInline let handler: Handler
    @usableFromInline let maxBatch: Int

    /// - Parameters:
    ///   - label: the dispatch queue's name, seen in debuggers.
    ///   - maxBatch: the most requests handed over at once.
    public init(label: String, maxBatch: Int = 4096, handler: @escaping Handler) {
        self.queue = DispatchQueue(label: label, qos: .userInitiated)
        self.resumer = DispatchQueue(label: label + ".resume", qos: .userInitiated)
        self.handler = handler
        self.maxBatch = max(1, maxBatch)
    }

    /// Submits `request` and suspends until its batch has been handled.
    ///
    /// Cancellation does not withdraw a submitted request: once queued it will be
    /// handled (a half-cancelled append would leave the caller unsure whether its
    /// event exists), and the caller gets its result.
    @inlinable
    public func submit(_ request: Request) async throws -> Response {
        try await withUnsafeThrowingContinuation { continuation in
            let startDrain = state.withLock { s -> Bool in
                s.pending.append(Waiting(request: request, continuation: continuation))
                if s.draining { return false }
                s.draining = true
                return true
            }
            if startDrain { queue.async { self.drain() } }
        }
    }

    @inlinable
    func drain() {
        while true {
            let batch = state.withLock { s -> [Waiting] in
                if s.pending.isEmpty {
                    s.draining = false
                    return []
                }
                if s.pending.count <= maxBatch {
                    defer { s.pending.removeAll(keepingCapacity: true) }
                    return s.pending
                }
                defer { s.pending.removeFirst(maxBatch) }
                return Array(s.pending.prefix(maxBatch))
            }
            if batch.isEmpty { return }
            let results = handler(batch.map { $0.request })
            precondition(results.count == batch.count, "GroupCommitQueue handler returned \(results.count) results for \(batch.count) requests")
            // Waking hundreds of callers costs a scheduler hop each; doing it on another
            // queue lets the next batch start committing meanwhile.
            resumer.async {
                for (waiting, result) in zip(batch, results) {
                    waiting.continuation.resume(with: result)
                }
            }
        }
    }
}
