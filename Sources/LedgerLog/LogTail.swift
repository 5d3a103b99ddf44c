import LedgerCodec
/// An `AsyncSequence` of every committed record from a position on, with no gap,
/// duplicate or reordering. Catch-up reads use a fresh read transaction per batch, and no
/// transaction is open while the tail waits, so a slow subscriber never pins pages.
public struct LogTail: AsyncSequence, Sendable {
    public typealias Element = EventRecord
    let log: EventLog
    let next: UInt64
    let batchSize: Int

    public func makeAsyncIterator() -> Iterator { Iterator(log: log, next: next, batchSize: batchSize) }

    public struct Iterator: AsyncIteratorProtocol {
        let log: EventLog
        var next: UInt64
        let batchSize: Int
        var buffer: [EventRecord] = []
        var index = 0

        /// The next record; waits for a commit when caught up. Returns nil when the task is cancelled.
        public mutating func next() async throws -> EventRecord? {
            while true {
                if index < buffer.count {
                    defer { index += 1 }
                    return buffer[index]
                }
                if Task.isCancelled { return nil }
                // Reading by position from disk (rather than from a commit notification's
                // payload) is what makes gaps and duplicates impossible.
                buffer = try log.read(from: next, limit: batchSize)
                index = 0
                if let last = buffer.last {
                    next = last.position + 1
                    continue
                }
                let poll = log.configuration.readOnly ? log.configuration.foreignCommitPollInterval : nil
                await log.signal.wait(for: next, poll: poll)
            }
        }
    }
}
