import Synchronization

/// Runs async changes one at a time, in the order they arrive. A `Mutex` cannot be held
/// across a suspension, and an actor interleaves at every `await`; a key change writes a
/// file and then appends to the log, and two interleaved changes could both see "no key
/// pending" and publish two.
final class SerialChanges: Sendable {
    private struct State {
        var busy = false
        var waiting: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.busy { s.waiting.append(c); return false }
                s.busy = true
                return true
            }
            if now { c.resume() }
        }
    }

    private func release() {
        // The next waiter inherits `busy`, so no newcomer can overtake it.
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiting.isEmpty { s.busy = false; return nil }
            return s.waiting.removeFirst()
        }
        next?.resume()
    }
}
