import Dispatch
import LedgerCodec
import LedgerLog
import Synchronization

/// Reads and decodes a range of the log for replay, in batches, either on the caller's
/// thread or, for long ranges, on a thread of its own while the caller applies the
/// previous batch: replay then uses both cores (reading and decoding is about a third of
/// its work). Either way the batches arrive in log order and hold the same records, so
/// the projection built from them is the same.
final class ReplayReader: Sendable {
    /// Records per batch: large enough to amortise the hand-over, small enough to stay in cache.
    static let batchSize = 4_096
    /// Below this many records a second thread costs more than it saves.
    static let concurrentThreshold: UInt64 = 100_000

    private let log: EventLog
    private let end: UInt64
    private let concurrent: Bool
    private let state = Mutex(State())
    // Free batch slots (the reader stays at most two batches ahead), filled ones, and the
    // reader thread's exit. Each starts at zero (libdispatch refuses to free a semaphore
    // whose count is below its initial value, as `free`'s may be when replay stops early).
    private let free = DispatchSemaphore(value: 0)
    private let filled = DispatchSemaphore(value: 0)
    private let exited = DispatchSemaphore(value: 0)

    private struct State {
        /// Where the next batch starts.
        var next: UInt64 = 1
        /// A decoding error to raise on the next read, after the batch it ended.
        var pending: (any Error)?
        /// Batches the reader thread has handed over, and the error that stopped it.
        var batches: [ReplayBatch] = []
        var failure: (any Error)?
        var cancelled = false
        /// The caller has been told of the end or the error.
        var ended = false
        /// Batches the caller has applied, for the reader thread to free.
        var spent: [ReplayBatch] = []
    }

    /// A reader of positions `start` through `end`; `concurrent` nil decides by the range's size.
    init(log: EventLog, from start: UInt64, through end: UInt64, concurrent: Bool? = nil) throws {
        self.log = log
        self.end = end
        let head = try log.head().position
        let last = min(head, end)
        let count = last >= start ? last - start + 1 : 0
        self.concurrent = concurrent ?? (count >= Self.concurrentThreshold)
        state.withLock { $0.next = start }
        if self.concurrent {
            free.signal()
            free.signal()
            // A serial queue of its own runs on its own thread, never waiting for (or
            // blocking) the cooperative pool the caller may be running on.
            DispatchQueue(label: "authledger.replay-reader", qos: .userInitiated).async { [self] in
                readAll()
                exited.signal()
            }
        }
    }

    /// The next batch in log order; nil at the end. Throws the error that stopped reading,
    /// after every record before it has been handed over.
    func next() throws -> ReplayBatch? {
        guard concurrent else { return try readOne() }
        // After the end (or the error), the reader thread signals nothing more.
        if state.withLock({ $0.ended }) { return nil }
        filled.wait()
        let (batch, failure) = state.withLock { s -> (ReplayBatch?, (any Error)?) in
            if !s.batches.isEmpty { return (s.batches.removeFirst(), nil) }
            s.ended = true
            return (nil, s.failure)
        }
        if batch != nil { free.signal() }
        if let failure { throw failure }
        return batch
    }

    /// Hands an applied batch back, so that the reader thread frees its records (and the
    /// strings they own, allocated on that thread) instead of the applying one.
    func recycle(_ batch: ReplayBatch) {
        guard concurrent else { return }
        state.withLock { $0.spent.append(batch) }
    }

    /// Stops the reader thread (if any) and waits for it, so that no read transaction
    /// outlives the replay. Call once, when done with the reader.
    func close() {
        guard concurrent else { return }
        state.withLock { $0.cancelled = true }
        free.signal()
        exited.wait()
    }

    /// The reader thread: batches into the queue until the end, an error, or cancellation.
    private func readAll() {
        do {
            while true {
                free.wait()
                // Taken out under the lock, dropped (freed) right after it, on this thread.
                _ = state.withLock { s -> [ReplayBatch] in
                    defer { s.spent = [] }
                    return s.spent
                }
                if state.withLock({ $0.cancelled }) { break }
                guard let batch = try readOne() else { break }
                state.withLock { $0.batches.append(batch) }
                filled.signal()
            }
        } catch {
            state.withLock { $0.failure = error }
        }
        filled.signal()
    }

    /// Reads and decodes the next batch. A record that fails to decode ends its batch; the
    /// error is raised by the following call, so the records before it are applied first.
    private func readOne() throws -> ReplayBatch? {
        let (start, pending) = state.withLock { s -> (UInt64, (any Error)?) in
            defer { s.pending = nil }
            return (s.next, s.pending)
        }
        if let pending { throw pending }
        guard start <= end else { return nil }
        var batch = ReplayBatch()
        var failure: (any Error)?
        try log.scanBatches(from: start, through: end, batchSize: Self.batchSize) { views in
            batch.reserveCapacity(views.count)
            for view in views {
                do { try batch.append(view) } catch {
                    failure = error
                    break
                }
            }
            return false
        }
        if batch.count == 0, let failure { throw failure }
        state.withLock {
            $0.next = failure == nil ? (batch.entries.last.map { $0.position + 1 } ?? .max) : .max
            $0.pending = failure
        }
        return batch.count == 0 ? nil : batch
    }
}
