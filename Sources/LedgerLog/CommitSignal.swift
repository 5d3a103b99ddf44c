import LedgerCodec
import Synchronization

/// Wakes tails when commits move the head. Waiters register the position they need;
/// a commit resumes every waiter whose position is now committed.
final class CommitSignal: Sendable {
    private struct Waiter: Sendable {
        var id: UInt64
        var position: UInt64
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State: Sendable {
        var closed = false
        var committed: UInt64 = 0
        var nextID: UInt64 = 0
        var waiters: [Waiter] = []
    }

    private let state = Mutex(State())

    /// The newest committed position known to this process.
    var committed: UInt64 { state.withLock { $0.committed } }

    func published(_ position: UInt64) {
        let ready = state.withLock { s -> [Waiter] in
            if position > s.committed { s.committed = position }
            let committed = s.committed
            var ready: [Waiter] = []
            s.waiters.removeAll { w in
                if w.position <= committed { ready.append(w); return true }
                return false
            }
            return ready
        }
        for w in ready { w.continuation.resume() }
    }

    /// Suspends until `position` is committed, the task is cancelled, or `poll` elapses
    /// (for commits made by another process, which this one is not told about).
    func wait(for position: UInt64, poll: Duration?) async {
        let id = state.withLock { s -> UInt64 in s.nextID += 1; return s.nextID }
        let pollTask = Mutex<Task<Void, Never>?>(nil)
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.committed >= position || s.closed || Task.isCancelled { return true }
                    s.waiters.append(Waiter(id: id, position: position, continuation: c))
                    return false
                }
                if resumeNow {
                    c.resume()
                } else if let poll {
                    // Started only once the waiter is registered, so its wake-up cannot
                    // arrive before there is anything to wake.
                    pollTask.withLock {
                        $0 = Task { [weak self] in
                            try? await Task.sleep(for: poll)
                            self?.wake(id)
                        }
                    }
                }
            }
        } onCancel: {
            wake(id)
        }
        pollTask.withLock { $0?.cancel() }
    }

    /// Wakes every waiter, now and from now on: the log was closed.
    func close() {
        let all = state.withLock { s -> [Waiter] in
            s.closed = true
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in all { w.continuation.resume() }
    }

    private func wake(_ id: UInt64) {
        let w = state.withLock { s -> Waiter? in
            guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return s.waiters.remove(at: i)
        }
        w?.continuation.resume()
    }
}
