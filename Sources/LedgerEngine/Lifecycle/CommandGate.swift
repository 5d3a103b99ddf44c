import Synchronization

/// Admits commands while the engine runs; at shutdown, refuses new ones and lets the
/// shutdown wait until the commands already admitted have been answered.
final class CommandGate: Sendable {
    private struct State {
        var open = true
        var inFlight = 0
        var drained: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())

    /// Admits one command, or refuses it because the engine is shutting down.
    func enter() throws(EngineError) {
        let admitted = state.withLock { s -> Bool in
            guard s.open else { return false }
            s.inFlight += 1
            return true
        }
        guard admitted else {
            throw EngineError(.shuttingDown, "the engine is shutting down and takes no new commands; retry against the next instance")
        }
    }

    /// The admitted command has been answered.
    func leave() {
        let ready = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.inFlight -= 1
            guard s.inFlight == 0, !s.open else { return [] }
            defer { s.drained = [] }
            return s.drained
        }
        for c in ready { c.resume() }
    }

    /// Refuses new commands and returns once every admitted one has been answered.
    func closeAndDrain() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                s.open = false
                if s.inFlight == 0 { return true }
                s.drained.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    var isOpen: Bool { state.withLock { $0.open } }
}
