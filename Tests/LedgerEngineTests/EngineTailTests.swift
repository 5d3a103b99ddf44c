import LedgerCodec
import LedgerCrypto
@testable import LedgerEngine
import LedgerLog
import LedgerTesting
import Synchronization
import Testing

@Suite("Engine tails")
struct EngineTailTests {
    /// Drives a random workload; returns the sessions it opened.
    static func workload(_ engine: AuthEngine, _ clock: ManualClock, seed: UInt64, steps: Int) async -> [SessionID] {
        var rng = SeededGenerator(state: seed)
        var sessions: [(id: SessionID, user: String, refresh: [String])] = []
        for _ in 0..<steps { await RevocationStateTests.step(engine, clock, &rng, &sessions) }
        return sessions.map(\.id)
    }

    @Test("a tail from any position sees every record exactly once, in order; a filtered one skips types but its position advances")
    func everyRecordOnce() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        _ = await Self.workload(engine, f.clock, seed: 1, steps: 80)
        let head = try engine.log.head().position
        let start: UInt64 = 3
        let all = Task { () -> [LoggedEvent] in
            var out: [LoggedEvent] = []
            for try await batch in engine.tail(from: start) {
                out += batch.events
                if batch.through >= head + 50 { break }
            }
            return out
        }
        let filtered = Task { () -> (events: [LoggedEvent], through: UInt64) in
            var out: [LoggedEvent] = [], last: UInt64 = 0
            for try await batch in engine.tail(from: start, types: AuthEngine.revocationTypes) {
                #expect(batch.through > last)
                last = batch.through
                out += batch.events
                if batch.through >= head + 50 { break }
            }
            return (out, last)
        }
        // Live events after the subscribers started.
        while try engine.log.head().position < head + 50 { _ = await Self.workload(engine, f.clock, seed: 2, steps: 20) }
        let seen = try await all.value
        let expected = try engine.log.read(from: start, limit: 100_000).map { try LoggedEvent($0) }
        #expect(seen.map(\.position) == Array(seen.map(\.position).sorted()))
        #expect(seen == Array(expected.prefix(seen.count)))
        #expect(seen.last!.position >= head + 50)
        let (revocations, through) = try await filtered.value
        #expect(through >= head + 50)
        #expect(revocations == expected.filter { AuthEngine.revocationTypes.contains($0.event.type) && $0.position <= through })
    }

    @Test("a tail is woken only after the engine applied the batch: every revocation it sees is already refused")
    func wokenAfterApply() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let misses = SharedCount(), seen = SharedCount()
        let subscriber = Task {
            for try await batch in engine.tail(from: 1, types: [.sessionEnded, .sessionRevoked]) {
                for e in batch.events {
                    let id: SessionID
                    switch e.event {
                    case let .sessionEnded(x): id = x.session
                    case let .sessionRevoked(x): id = x.session
                    default: continue
                    }
                    seen.add()
                    if !engine.isRevoked(session: id) { misses.add() }
                }
            }
        }
        for i in 0..<300 {
            let (t, _) = try await engine.login(LoginRequest(user: "u\(i % 7)", device: EngineFixture.phone))
            if i % 2 == 0 { try await engine.logout(session: t.session) } else { try await engine.revoke(session: t.session, actor: "admin") }
        }
        try await engine.shutdown()
        await #expect { try await subscriber.value } throws: { ($0 as? EngineError)?.kind == .shuttingDown }
        #expect(seen.value == 300)
        #expect(misses.value == 0)
    }

    @Test("subscribers at the same position with the same filter share one read of each batch")
    func sharedReads() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        _ = try await engine.login(LoginRequest(user: "a", device: EngineFixture.phone))
        let start = try engine.log.head().position + 1
        let subscribers = 50
        let ready = SharedCount()
        let tasks = (0..<subscribers).map { _ in
            Task { () -> Int in
                var it = engine.tail(from: start, types: AuthEngine.revocationTypes).makeAsyncIterator()
                ready.add()
                var events = 0
                while events < 10, let batch = try await it.next() { events += batch.events.count }
                return events
            }
        }
        while ready.value < subscribers { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50))   // all waiting at `start`
        var sessions: [SessionID] = []
        for i in 0..<10 { sessions.append(try await engine.login(LoginRequest(user: "u\(i)", device: EngineFixture.phone)).tokens.session) }
        for s in sessions { try await engine.logout(session: s) }
        for t in tasks { #expect(try await t.value == 10) }
        // Each published batch was read once for that filter, not once per subscriber.
        let reads = engine.tails.segmentsForTesting.map { $0.sharedReads.load(ordering: .relaxed) }
        #expect(!reads.isEmpty && reads.allSatisfy { $0 <= 1 }, "\(reads)")
    }

    @Test("a follower fed the state at P and a filtered tail agrees with isRevoked for every session after every batch",
          arguments: 0..<6)
    func followerOnATail(seed: UInt64) async throws {
        let f = EngineFixture { $0.lifetimes.accessToken = 60; $0.leewaySeconds = 5; $0.maxSessionsPerUser = 2 }
        let engine = try await f.open()
        _ = await Self.workload(engine, f.clock, seed: 100 + seed, steps: 30)
        var follower = engine.revocationState()
        var it = engine.tail(from: follower.position + 1, types: [.sessionEnded, .sessionRevoked, .userSessionsRevoked]).makeAsyncIterator()
        var rng = SeededGenerator(state: 200 + seed)
        var sessions: [(id: SessionID, user: String, refresh: [String])] = []
        for n in 0..<100 {
            await RevocationStateTests.step(engine, f.clock, &rng, &sessions)
            let head = try engine.log.head().position
            while follower.position < head {
                guard let batch = try await it.next() else { break }
                for e in batch.events { follower.apply(e) }
                follower.advance(to: batch.through, chainHash: .zero)
            }
            let now = f.clock.now()
            for s in sessions {
                #expect(follower.refuses(s.id, at: now) == engine.isRevoked(session: s.id), "seed \(seed), step \(n)")
            }
        }
    }
}

/// A counter tasks can share.
final class SharedCount: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

@Suite("Global records through the engine")
struct AppendGlobalTests {
    @Test("records appended through appendGlobal reach the tails at once, with no later command")
    func reachTails() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let start = try engine.log.head().position + 1
        let event = AuthEvent.apiKeyRevoked(APIKeyRevoked(keyID: "k1"))
        try await engine.appendGlobal([event])
        var it = engine.tail(from: start).makeAsyncIterator()
        let batch = try await it.next()
        #expect(batch?.events.map(\.event) == [event])
        try await engine.shutdown()
        await #expect { try await engine.appendGlobal([event]) } throws: { ($0 as? EngineError)?.kind == .shuttingDown }
    }
}

@Suite("Filtered tails sleep through other types")
struct FilteredWakeTests {
    @Test("a revocation tail is not woken by rotations, may resume past them, and wakes for a revocation and for records of unknown type")
    func sleepsThroughRotations() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let login = try await engine.login(LoginRequest(user: "alice", device: Device(label: "Phone")))
        let start = engine.statistics.position + 1
        let tail = engine.tail(from: start, types: AuthEngine.revocationTypes)
        let batches = Mutex<[EngineTail.Batch]>([])
        let reader = Task {
            for try await batch in tail { batches.withLock { $0.append(batch) } }
        }
        var token = login.tokens.refreshToken
        for _ in 0..<50 {
            f.clock.advance(seconds: 1)
            token = try await engine.refresh(token).refreshToken
        }
        try await Task.sleep(for: .milliseconds(100))
        // At most one empty batch: the first look, if the tail started after a rotation was
        // published, skips to the head. Woken per commit, it would see about 50.
        #expect(batches.withLock { $0.count <= 1 && $0.allSatisfy(\.events.isEmpty) },
                "woken by rotations: \(batches.withLock { $0.map { ($0.through, $0.events.map(\.event.type)) } }) from \(start)")
        // Nothing it takes since it started: a heartbeat may move it to the head.
        let head = engine.statistics.position
        #expect(tail.quietThrough(after: start - 1) == head)

        // Records committed by others (an API key) are of unknown type: the tail looks.
        try await engine.appendGlobal([.apiKeyRevoked(APIKeyRevoked(keyID: "0123456789abcdef"))])
        try await waitUntil { batches.withLock { $0.last?.through } == head + 1 }
        #expect(batches.withLock { $0.allSatisfy(\.events.isEmpty) })

        // More rotations, then a logout: the tail wakes once, and passes over the rotations
        // it slept through in the same batch as the ending.
        let before = batches.withLock { $0.count }
        for _ in 0..<5 {
            f.clock.advance(seconds: 1)
            token = try await engine.refresh(token).refreshToken
        }
        try await engine.logout(session: login.tokens.session)
        try await waitUntil { batches.withLock { $0.contains { !$0.events.isEmpty } } }
        let ended = batches.withLock { $0.flatMap(\.events) }
        #expect(ended.map(\.event.type) == [.sessionEnded])
        #expect(batches.withLock { Array($0.dropFirst(before)).map(\.through) } == [ended.last!.position])
        // An event it takes is published: it may not report past it until delivered.
        #expect(tail.quietThrough(after: head + 1) == (ended.last!.position <= head + 1 ? engine.statistics.position : head + 1))
        #expect(tail.quietThrough(after: ended.last!.position) == engine.statistics.position)
        reader.cancel()
        try await engine.shutdown()
    }

    @Test("wakeTails wakes a follower waiting in nextOrWake (and one that was busy when it came), once per call; plain iteration sleeps on")
    func wakes() async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let start = engine.statistics.position + 1
        let tail = engine.tail(from: start, types: AuthEngine.revocationTypes)
        let seen = Mutex<[String]>([])
        let follower = Task {
            var batches = tail.makeAsyncIterator()
            while let wake = try await batches.nextOrWake() {
                switch wake {
                case .woken: seen.withLock { $0.append("woken") }
                case let .batch(b): seen.withLock { $0.append(b.events.isEmpty ? "empty \(b.through)" : "\(b.events.map(\.event.type))") }
                }
            }
        }
        let plain = Task {
            var n = 0
            for try await _ in tail { n += 1 }
            return n
        }
        try await Task.sleep(for: .milliseconds(50))
        #expect(seen.withLock { $0.isEmpty }, "nothing published, nothing woke it")
        engine.wakeTails()
        try await waitUntil { seen.withLock { $0 } == ["woken"] }
        // Never more than one wake per call, and none lost: two calls in a row wake it once
        // or twice (twice if it was back waiting before the second).
        engine.wakeTails()
        engine.wakeTails()
        try await waitUntil { seen.withLock { $0.count } >= 2 }
        try await Task.sleep(for: .milliseconds(50))
        #expect(seen.withLock { $0.count <= 3 && $0.allSatisfy { $0 == "woken" } }, "\(seen.withLock { $0 })")
        // A revocation still arrives as a batch.
        let login = try await engine.login(LoginRequest(user: "alice", device: Device(label: "Phone")))
        try await engine.logout(session: login.tokens.session)
        try await waitUntil { seen.withLock { $0.last } == "[session.ended]" }
        #expect(seen.withLock { $0.filter { $0 != "woken" } } == ["[session.ended]"], "the login woke nothing")
        engine.wakeTails()
        try await waitUntil { seen.withLock { $0.last } == "woken" }
        follower.cancel()
        plain.cancel()
        #expect(try await plain.value == 1, "the plain iterator saw the ending, never a wake")
        try await engine.shutdown()
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(condition())
    }
}
