import Foundation
import LedgerCodec
import LedgerEngine
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// Many concurrent refreshes, logouts, revocations and bans on the same sessions and users,
/// in randomized trials. The engine decides each group-commit batch one command at a time,
/// so these are the interleavings real clients produce: two tabs refreshing at once, a
/// logout racing a refresh, a ban landing between a refresh and its retry.
///
/// After each trial: every caller got valid tokens or a documented refusal; no session has
/// two live lineages (one successor per generation); the log holds no rotation after a
/// session's end; a revoked session never refreshes again; presenting a token older than a
/// used successor revokes the session.
///
/// `AUTHLEDGER_RACE_TRIALS` and `AUTHLEDGER_RACE_SEED` choose how many trials and the
/// first seed; a failing trial prints its seed.
@Suite("Races: concurrent commands on the same sessions and users")
struct RaceTests {
    enum Operation: Sendable, CustomStringConvertible {
        case refresh(session: Int, generation: UInt32)
        case logout(session: Int)
        case revoke(session: Int)
        case logoutAll(exceptFirst: Bool)
        case ban

        var description: String {
            switch self {
            case let .refresh(s, g): "refresh(session \(s), generation \(g))"
            case let .logout(s): "logout(session \(s))"
            case let .revoke(s): "revoke(session \(s))"
            case let .logoutAll(except): except ? "logoutAll(except first)" : "logoutAll"
            case .ban: "ban"
            }
        }
    }

    enum Outcome: Sendable {
        case tokens(SessionTokens)
        case done
        case refused(EngineError)
    }

    @Test("randomized trials of concurrent commands keep every session's lineage single and every ending final")
    func trials() async throws {
        let env = ProcessInfo.processInfo.environment
        let count = env["AUTHLEDGER_RACE_TRIALS"].flatMap(Int.init) ?? 1_000
        let first = env["AUTHLEDGER_RACE_SEED"].flatMap(UInt64.init) ?? 20_261_130
        let dir = TemporaryDirectory()
        // Every read of the clock moves it, so commands in one batch get distinct times.
        let clock = SteppingClock(start: Timestamp(microseconds: 1_767_225_600_123_456), step: 7)
        var c = EngineConfiguration()
        c.log = .unsafeFast(clock: clock)
        c.clock = clock
        c.snapshotAtShutdown = false
        let engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
        var failures = 0
        for seed in first..<first + UInt64(count) {
            let problems = try await Self.trial(seed: seed, engine: engine, clock: clock, grace: c.graceWindowSeconds)
            guard !problems.isEmpty else { continue }
            failures += 1
            Issue.record(Comment(rawValue: "race trial seed \(seed):\n" + problems.joined(separator: "\n")))
            if failures == 3 { break }
        }
        print("races: \(count) trials from seed \(first), \(failures) failing")
        try await engine.shutdown()
    }

    /// One trial on a fresh user; returns what went wrong (empty: nothing).
    static func trial(seed: UInt64, engine: AuthEngine, clock: SteppingClock, grace: Int64) async throws -> [String] {
        var rng = SeededGenerator(state: seed)
        let user = "race-\(seed)"
        var problems: [String] = []
        let codec = engine.keys.refreshTokens

        // Sessions, each rotated a few times first so that stale tokens exist.
        var tokens: [[UInt32: String]] = []
        var ids: [SessionID] = []
        for i in 0..<Int.random(in: 1...3, using: &rng) {
            let login = try await engine.login(LoginRequest(user: user, device: Device(label: "device \(i)")))
            var byGeneration: [UInt32: String] = [1: login.tokens.refreshToken]
            var current = login.tokens.refreshToken
            for _ in 0..<Int.random(in: 0...2, using: &rng) {
                clock.advance(microseconds: Int64.random(in: 1...2_000_000, using: &rng))
                current = try await engine.refresh(current).refreshToken
                byGeneration[try codec.authenticate(current).generation] = current
            }
            tokens.append(byGeneration)
            ids.append(login.tokens.session)
        }
        // Sometimes past the grace window, so the predecessor counts as reuse.
        if Bool.random(using: &rng) { clock.advance(microseconds: (grace + Int64.random(in: 1...5, using: &rng)) * 1_000_000) }

        var operations: [Operation] = []
        for _ in 0..<Int.random(in: 4...16, using: &rng) {
            let s = Int.random(in: 0..<ids.count, using: &rng)
            let newest = tokens[s].keys.max()!
            switch Int.random(in: 0..<20, using: &rng) {
            case 0..<11: operations.append(.refresh(session: s, generation: newest))
            case 11..<14: operations.append(.refresh(session: s, generation: tokens[s].keys.randomElement(using: &rng)!))
            case 14..<16: operations.append(.logout(session: s))
            case 16..<18: operations.append(.revoke(session: s))
            case 18: operations.append(.logoutAll(exceptFirst: Bool.random(using: &rng)))
            default: operations.append(.ban)
            }
        }
        let snapshot = tokens, sessionIDs = ids
        let outcomes = await withTaskGroup(of: (Int, Outcome).self) { group in
            for (i, op) in operations.enumerated() {
                group.addTask { (i, await Self.perform(op, engine: engine, user: user, tokens: snapshot, ids: sessionIDs)) }
            }
            var out = [Outcome](repeating: .done, count: operations.count)
            for await (i, o) in group { out[i] = o }
            return out
        }

        // 1. Valid tokens or a documented refusal, for every caller.
        let verifier = AccessTokenVerifier(keys: engine.keys.jwks, policy: VerificationPolicy(issuer: "authledger", audiences: ["api"], leewaySeconds: 30))
        var successors: [SessionID: [UInt32: Set<String>]] = [:]
        for (op, outcome) in zip(operations, outcomes) {
            switch outcome {
            case let .tokens(t):
                guard case let .refresh(s, _) = op, t.session == ids[s] else { problems.append("\(op) answered tokens of another session"); continue }
                do {
                    let claims = try verifier.verify(t.accessToken, now: clock.now().seconds)
                    if claims.sessionID != ids[s].description || claims.subject != user { problems.append("\(op): access token for the wrong session or user") }
                } catch { problems.append("\(op): an access token that does not verify: \(error)") }
                let g = try codec.authenticate(t.refreshToken).generation
                successors[t.session, default: [:]][g, default: []].insert(t.refreshToken)
                tokens[s][g] = t.refreshToken
            case let .refused(e):
                if !allowed(e, for: op) { problems.append("\(op): undocumented refusal \(e.kind): \(e.message)") }
            case .done:
                break
            }
        }
        // 2. One lineage: every generation has exactly one successor token.
        for (session, byGeneration) in successors {
            for (g, set) in byGeneration where set.count > 1 { problems.append("session \(session): \(set.count) different tokens for generation \(g)") }
        }
        // 3. The log: generations rise by one, and nothing rotates a session after its end.
        problems += try logProblems(engine.history(user: user), ids: ids)

        // 4. After the race, past the grace window: an ended session never refreshes again;
        //    on a live one, a token older than a used successor revokes it.
        clock.advance(microseconds: (grace + 1) * 1_000_000)
        for (s, id) in ids.enumerated() {
            let newest = tokens[s].keys.max()!
            let ended = engine.session(id) == nil || engine.isRevoked(session: id)
            if ended {
                for (_, token) in tokens[s] {
                    if let t = try? await engine.refresh(token) { problems.append("ended session \(id) refreshed to generation \(try codec.authenticate(t.refreshToken).generation)") }
                }
            } else if let older = tokens[s].keys.filter({ $0 < newest }).randomElement(using: &rng) {
                do {
                    _ = try await engine.refresh(tokens[s][older]!)
                    problems.append("session \(id): generation \(older) refreshed after generation \(newest) was issued")
                } catch {
                    guard case .refreshTokenReused = error.kind else { problems.append("session \(id): reuse answered \(error.kind)"); continue }
                }
                if !engine.isRevoked(session: id) { problems.append("session \(id): reuse did not revoke it") }
                if (try? await engine.refresh(tokens[s][newest]!)) != nil { problems.append("session \(id): refreshed after reuse revoked it") }
            } else {
                do { _ = try await engine.refresh(tokens[s][newest]!) } catch { problems.append("live session \(id) with one generation refused: \(error.kind)") }
            }
        }
        if !problems.isEmpty { problems.insert("operations: " + operations.map(\.description).joined(separator: ", "), at: 0) }
        return problems
    }

    static func perform(_ op: Operation, engine: AuthEngine, user: String, tokens: [[UInt32: String]], ids: [SessionID]) async -> Outcome {
        do {
            switch op {
            case let .refresh(s, g): return .tokens(try await engine.refresh(tokens[s][g]!))
            case let .logout(s): try await engine.logout(session: ids[s])
            case let .revoke(s): try await engine.revoke(session: ids[s], actor: "race")
            case let .logoutAll(except): try await engine.logoutAll(user: user, except: except ? ids[0] : nil)
            case .ban: try await engine.ban(user: user, actor: "race", reason: "test")
            }
            return .done
        } catch {
            return .refused(error)
        }
    }

    /// The refusals SESSIONS.md documents for each command when sessions end concurrently.
    static func allowed(_ e: EngineError, for op: Operation) -> Bool {
        switch (op, e.kind) {
        case (.refresh, .sessionRevoked), (.refresh, .refreshTokenReused), (.refresh, .sessionNotFound): true
        // logout-all except a session another command ended meanwhile.
        case (.logoutAll(exceptFirst: true), .sessionNotFound): true
        default: false
        }
    }

    static func logProblems(_ events: [LoggedEvent], ids: [SessionID]) -> [String] {
        var problems: [String] = []
        var generation: [SessionID: UInt32] = [:]
        var ended = Set<SessionID>()
        var live = Set<SessionID>()
        for e in events {
            switch e.event {
            case let .sessionStarted(s):
                generation[s.session] = 1
                live.insert(s.session)
            case let .refreshRotated(r):
                if ended.contains(r.session) { problems.append("position \(e.position): session \(r.session) rotated after it ended") }
                if r.generation != (generation[r.session] ?? 0) + 1 {
                    problems.append("position \(e.position): session \(r.session) rotated to generation \(r.generation) after \(generation[r.session] ?? 0)")
                }
                generation[r.session] = r.generation
            case let .sessionEnded(s): ended.insert(s.session); live.remove(s.session)
            case let .sessionRevoked(s): ended.insert(s.session); live.remove(s.session)
            case let .userSessionsRevoked(u):
                let gone = u.sessions.map { Set($0.map(\.session)) } ?? live.subtracting(u.except.map { [$0] } ?? [])
                ended.formUnion(gone); live.subtract(gone)
            case .userBanned:
                ended.formUnion(live); live.removeAll()
            default:
                break
            }
        }
        return problems
    }
}
