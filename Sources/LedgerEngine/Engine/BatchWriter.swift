import LedgerCodec
import LedgerLog

/// The writer side: decides a batch, commits it, then applies it.
struct BatchWriter: Sendable {
    let configuration: EngineConfiguration
    let log: EventLog
    let tails: TailHub
    /// Nil when sealing is off (the benchmark baseline).
    let vault: UserKeyVault?
    let observers: CommitObservers

    func process(_ commands: [Command], _ state: SharedProjection) -> [Result<Decision.Answer, any Error>] {
        let started = ContinuousClock.now
        // Time never goes backwards in the log (the writer clamps), so neither do decisions.
        let now = max(configuration.clock.now(), state.withLock { $0.time })
        var results: [Result<Decision.Answer, any Error>] = []
        results.reserveCapacity(commands.count)
        var groups: [[PendingEvent]] = []
        var applied: [[(AuthEvent, String?)]] = []
        var keys = BatchKeys(vault: vault)
        do {
            // A snapshot of the committed state: copying it is O(1) (copy-on-write), and it is
            // released before the live state changes, so it never forces a copy.
            var overlay = BatchOverlay(base: state.withLock { $0 })
            let decider = CommandDecider(configuration: configuration, now: now)
            for command in commands {
                do {
                    let d = try decider.decide(command, &overlay, &keys)
                    results.append(.success(d.answer))
                    if !d.events.isEmpty {
                        groups.append(d.events.map { $0.0.pending(user: $0.1, at: now) })
                        applied.append(d.events)
                    }
                } catch {
                    results.append(.failure(error))
                }
            }
        }
        guard !groups.isEmpty else {
            if commands.contains(where: { if case .publishTails = $0 { true } else { false } }) { publishHead() }
            return results
        }
        let receipts: [AppendReceipt]
        do {
            // New keys and erasures in the same transaction as the events that need them.
            receipts = try log.commit(groups: groups, keyChanges: keys.changes)
        } catch {
            // Nothing was written, so nothing is applied; everyone in the batch hears why.
            let failure = EngineError(.storage, "the batch could not be made durable: \(error); nothing changed")
            return commands.map { _ in .failure(failure) }
        }
        keys.settle()
        observers.report(CommitBatch(commands: commands.count, events: groups.reduce(0) { $0 + $1.count }, duration: ContinuousClock.now - started))
        state.withLock { p in
            for (events, receipt) in zip(applied, receipts) {
                var position = receipt.positions.lowerBound
                for (event, user) in events {
                    // At the time the log recorded: replay applies the same events at the same times.
                    p.apply(event, user: user, at: receipt.timestamp, position: position)
                    position += 1
                }
            }
            let head = receipts.last!.head
            if head.position >= p.position { (p.position, p.chainHash) = (head.position, head.chainHash) }
        }
        // Only now: a subscriber never sees an event the engine's queries do not reflect.
        var types = Set<EventType>()
        for events in applied { for (event, _) in events { types.insert(event.type) } }
        tails.publish(through: receipts.last!.head.position, first: receipts.first!.positions.lowerBound, types: types)
        if commands.contains(where: { if case .publishTails = $0 { true } else { false } }) { publishHead() }
        return results
    }

    /// Publishes the log's head to the tails. On the writer's queue, so every engine batch
    /// before it is applied; records committed by others (the key ring's) are included.
    private func publishHead() {
        if let head = try? log.head() { tails.publish(through: head.position) }
    }
}
