import Foundation
import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// Random command sequences run against the engine and against ``SessionModel`` side by
/// side, with a clock that moves at random (sub-second steps included); after every step
/// every answer is compared, and after every sequence the engine is reopened from a
/// snapshot and from a full replay and must still agree. A failing sequence is shrunk to
/// the fewest steps that still fail, and printed with its seed.
///
/// `AUTHLEDGER_MODEL_SEQUENCES` and `AUTHLEDGER_MODEL_SEED` choose how many sequences and
/// the first seed (`tools/model-check.sh` runs a long campaign).
@Suite("Model-based: the engine against a reference model of docs/SESSIONS.md")
struct ModelBasedTests {
    static let users = ["alice", "Jos\u{E9}", "Jose\u{301}", "bob"]
    static let devices = [Device(label: "iPhone", userAgent: "Safari/17"), Device(label: "Caf\u{E9}", userAgent: "UA"),
                          Device(label: "Cafe\u{301}", userAgent: "UA")]

    static let config = SessionModel.Config(
        lifetimes: SessionLifetimes(accessToken: 60, refreshToken: 600, idleTimeout: 300, absolute: 1_800),
        grace: 10, leeway: 5, maxSessionsPerUser: 3)

    @Test("random command sequences: every answer agrees with the model, and so does a reopened engine")
    func randomSequences() async throws {
        let env = ProcessInfo.processInfo.environment
        let count = env["AUTHLEDGER_MODEL_SEQUENCES"].flatMap(Int.init) ?? 150
        let first = env["AUTHLEDGER_MODEL_SEED"].flatMap(UInt64.init) ?? 20_261_129
        var failures = 0
        for seed in first..<first + UInt64(count) {
            var rng = SeededGenerator(state: seed)
            let steps = (0..<Int.random(in: 10...60, using: &rng)).map { _ in Step.random(using: &rng) }
            guard let mismatch = try await Self.run(steps) else { continue }
            let (shrunk, why) = try await Self.shrink(steps, mismatch)
            let report = """
                seed \(seed): \(why)
                shrunk from \(steps.count) to \(shrunk.count) steps:
                \(shrunk.map { "  " + $0.description }.joined(separator: "\n"))
                """
            print(report)
            Issue.record(Comment(rawValue: report))
            failures += 1
            if failures == 3 { break }
        }
        print("model-based: \(count) sequences from seed \(first), \(failures) failing")
    }

    /// Removes steps while the sequence still fails (greedy, one step at a time).
    static func shrink(_ steps: [Step], _ mismatch: String) async throws -> ([Step], String) {
        var current = steps, why = mismatch
        var changed = true
        var attempts = 0
        while changed && attempts < 400 {
            changed = false
            var i = current.count - 1
            while i >= 0 && attempts < 400 {
                var candidate = current
                candidate.remove(at: i)
                attempts += 1
                if let m = try await run(candidate) {
                    current = candidate
                    why = m
                    changed = true
                }
                i -= 1
            }
        }
        return (current, why)
    }

    // MARK: Steps

    enum Pick: CaseIterable { case current, previous, older, forged }

    enum Step: CustomStringConvertible {
        case advance(microseconds: Int64)
        case login(user: Int, device: Int)
        case refresh(session: Int, Pick)
        case logout(session: Int)
        case revoke(session: Int)
        case logoutAll(user: Int, exceptSession: Int?)
        case ban(user: Int)
        case unban(user: Int)
        case snapshot
        case reopen(fromSnapshot: Bool)

        static func random(using rng: inout SeededGenerator) -> Step {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0..<30:
                let us: Int64
                switch Int.random(in: 0..<20, using: &rng) {
                case 0..<8: us = Int64.random(in: 1...999_999, using: &rng)          // within a second
                case 8..<15: us = Int64.random(in: 1...120, using: &rng) * 1_000_000 + Int64.random(in: -1...1, using: &rng)
                case 15..<19: us = Int64.random(in: 120...1_800, using: &rng) * 1_000_000
                default: us = Int64.random(in: 3_600...7_200, using: &rng) * 1_000_000   // past the sweep
                }
                return .advance(microseconds: max(1, us))
            case 30..<48: return .login(user: Int.random(in: 0..<users.count, using: &rng), device: Int.random(in: 0..<devices.count, using: &rng))
            case 48..<73: return .refresh(session: Int.random(in: 0..<64, using: &rng), Pick.allCases.randomElement(using: &rng)!)
            case 73..<79: return .logout(session: Int.random(in: 0..<64, using: &rng))
            case 79..<83: return .revoke(session: Int.random(in: 0..<64, using: &rng))
            case 83..<87:
                return .logoutAll(user: Int.random(in: 0..<users.count, using: &rng),
                                  exceptSession: Bool.random(using: &rng) ? Int.random(in: 0..<64, using: &rng) : nil)
            case 87..<90: return .ban(user: Int.random(in: 0..<users.count, using: &rng))
            case 90..<94: return .unban(user: Int.random(in: 0..<users.count, using: &rng))
            case 94..<97: return .snapshot
            default: return .reopen(fromSnapshot: Bool.random(using: &rng))
            }
        }

        var description: String {
            switch self {
            case let .advance(us): "advance \(us) µs"
            case let .login(u, d): "login \(ModelBasedTests.users[u].unicodeScalars.map { String($0.value, radix: 16) }) on device \(d)"
            case let .refresh(s, p): "refresh session #\(s) with its \(p) token"
            case let .logout(s): "logout session #\(s)"
            case let .revoke(s): "revoke session #\(s)"
            case let .logoutAll(u, e): "logoutAll user \(u) except \(e.map { "#\($0)" } ?? "none")"
            case let .ban(u): "ban user \(u)"
            case let .unban(u): "unban user \(u)"
            case .snapshot: "snapshot"
            case let .reopen(s): "reopen \(s ? "from a snapshot" : "by full replay")"
            }
        }
    }

    // MARK: Running a sequence

    /// What the test holds of a session: every refresh token the engine handed out, by
    /// generation, and the latest access token with the `exp` the model expects of it.
    struct Tracked {
        let id: SessionID
        let user: [UInt8]
        var refresh: [UInt32: String]
        var access: String
        var accessExp: Int64
    }

    /// Runs `steps`; returns the first disagreement, or nil.
    static func run(_ steps: [Step]) async throws -> String? {
        let dir = TemporaryDirectory()
        let clock = ManualClock(start: Timestamp(seconds: 1_767_225_600).adding(microseconds: 123_457))
        var configuration = EngineConfiguration()
        configuration.log = .unsafeFast()
        configuration.clock = clock
        configuration.lifetimes = config.lifetimes
        configuration.graceWindowSeconds = config.grace
        configuration.leewaySeconds = config.leeway
        configuration.maxSessionsPerUser = config.maxSessionsPerUser
        var engine: AuthEngine? = try await AuthEngine.open(dataDirectory: dir.path, configuration: configuration)
        var model = SessionModel(config)
        var tracked: [Tracked] = []

        func bytes(_ u: Int) -> [UInt8] { Array(users[u].utf8) }
        func pick(_ i: Int) -> Int? { tracked.isEmpty ? nil : i % tracked.count }

        for (n, step) in steps.enumerated() {
            if case let .reopen(fromSnapshot) = step {
                // The old engine must be released (with its writer lock) before the new opens.
                try await engine!.shutdown()
                engine = nil
                var c = configuration
                c.startFromSnapshot = fromSnapshot
                engine = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
                if let m = check(engine!, model, tracked, clock.now(), "after step \(n) (\(step))") { return m }
                continue
            }
            let e = engine!
            let now = clock.now()
            let at = "step \(n) (\(step)) at \(now)"
            switch step {
            case let .advance(us):
                clock.advance(microseconds: us)

            case let .login(u, d):
                var device = devices[d]
                device.ip = IPAddress("198.51.100.\(u + 1)")!
                let result = await attemptAny { try await e.login(LoginRequest(user: users[u], device: device)).tokens }
                let expected = model.login(user: bytes(u), at: now, id: try? result.get().session)
                switch (result, expected) {
                case let (.success(t), .ok):
                    let exp = model.accessTokenExpiry(t.session, at: now)
                    if t.accessTokenExpiresAt != Timestamp(seconds: exp) {
                        return "\(at): the access token expires at \(t.accessTokenExpiresAt), the model says \(Timestamp(seconds: exp))"
                    }
                    tracked.append(Tracked(id: t.session, user: bytes(u), refresh: [1: t.refreshToken], access: t.accessToken, accessExp: exp))
                case let (.failure(error), .failed(kind)) where error.kind == kind:
                    break
                default:
                    return "\(at): the engine answered \(describe(result)), the model \(expected)"
                }

            case let .refresh(i, p):
                guard let i = pick(i) else { continue }
                let t = tracked[i]
                let gens = t.refresh.keys.sorted()
                let held = gens.last!
                let generation: UInt32, token: String
                switch p {
                case .current:
                    generation = held; token = t.refresh[held]!
                case .previous:
                    generation = gens.count > 1 ? gens[gens.count - 2] : held; token = t.refresh[generation]!
                case .older:
                    generation = gens.first!; token = t.refresh[generation]!
                case .forged:
                    generation = 0; token = forge(t.refresh[held]!)
                }
                let result = await attemptAny { try await e.refresh(token, ip: IPAddress("203.0.113.\(i % 200 + 1)")!) }
                if p == .forged {
                    guard case let .failure(error) = result, error.kind == .invalidRefreshToken else {
                        return "\(at): a forged token was answered \(describe(result))"
                    }
                    continue
                }
                let expected = model.refresh(t.id, generation: generation, at: now)
                switch (result, expected) {
                case let (.success(next), .rotated(g)):
                    if t.refresh[g] != nil { return "\(at): rotation to generation \(g) returned a token already handed out" }
                    tracked[i].refresh[g] = next.refreshToken
                    fallthrough
                case (.success, .retried):
                    let next = try result.get()
                    if case let .retried(g) = expected, t.refresh[g] != next.refreshToken {
                        return "\(at): a retry within the grace window did not return generation \(g)'s token"
                    }
                    let exp = model.accessTokenExpiry(t.id, at: now)
                    if next.accessTokenExpiresAt != Timestamp(seconds: exp) {
                        return "\(at): the access token expires at \(next.accessTokenExpiresAt), the model says \(Timestamp(seconds: exp))"
                    }
                    tracked[i].access = next.accessToken
                    tracked[i].accessExp = exp
                case let (.failure(error), .failed(kind)) where error.kind == kind:
                    break
                default:
                    return "\(at): refreshing generation \(generation) (held \(gens)): the engine answered \(describe(result)), the model \(expected)"
                }

            case let .logout(i), let .revoke(i):
                guard let i = pick(i) else { continue }
                let id = tracked[i].id
                let result: Result<Void, EngineError>
                if case .logout = step {
                    result = await attemptAny { try await e.logout(session: id) }
                } else {
                    result = await attemptAny { try await e.revoke(session: id, actor: "admin") }
                }
                let expected = model.endOne(id, at: now)
                if let m = compare(result, expected, at) { return m }

            case let .logoutAll(u, except):
                let exceptID = except.flatMap(pick).map { tracked[$0].id }
                let result = await attemptAny { try await e.logoutAll(user: users[u], except: exceptID) }
                if let m = compare(result, model.logoutAll(user: bytes(u), except: exceptID, at: now), at) { return m }

            case let .ban(u):
                let result = await attemptAny { try await e.ban(user: users[u], actor: "admin", reason: "model") }
                if let m = compare(result, model.ban(user: bytes(u), at: now), at) { return m }

            case let .unban(u):
                let result = await attemptAny { try await e.unban(user: users[u], actor: "admin") }
                if let m = compare(result, model.unban(user: bytes(u)), at) { return m }

            case .snapshot:
                _ = try await e.snapshot()

            case .reopen:
                break
            }
            if let m = check(engine!, model, tracked, clock.now(), "after step \(n) (\(step))") { return m }
        }

        // The same state from a snapshot and from a full replay.
        let live = engine!.projectionDigest
        try await engine!.shutdown()
        engine = nil
        for fromSnapshot in [true, false] {
            var c = configuration
            c.startFromSnapshot = fromSnapshot
            let reopened = try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
            let how = fromSnapshot ? "reopened from a snapshot" : "rebuilt by full replay"
            if reopened.projectionDigest != live { return "\(how): the projection digest differs from the live engine's" }
            if let m = check(reopened, model, tracked, clock.now(), how) { return m }
        }
        return nil
    }

    /// Every query, for every session and user the sequence knows.
    static func check(_ e: AuthEngine, _ model: SessionModel, _ tracked: [Tracked], _ now: Timestamp, _ at: String) -> String? {
        for (u, name) in users.enumerated() {
            let engineIDs = e.activeSessions(user: name).map(\.id)
            let modelIDs = model.active(of: Array(name.utf8), at: now)
            if engineIDs != modelIDs { return "\(at): active sessions of user \(u): engine \(engineIDs), model \(modelIDs)" }
            if e.isBanned(user: name) != model.banned.contains(Array(name.utf8)) { return "\(at): ban of user \(u) differs" }
        }
        for (i, t) in tracked.enumerated() {
            if e.isRevoked(session: t.id) != model.isRevoked(t.id, at: now) {
                return "\(at): isRevoked(#\(i)) engine \(e.isRevoked(session: t.id)), model \(model.isRevoked(t.id, at: now)) (\(model.standing(t.id, at: now)))"
            }
            let verifies = (try? e.verifyAccessToken(t.access)) != nil
            if verifies != model.accessTokenVerifies(t.id, exp: t.accessExp, at: now) {
                return "\(at): access token of #\(i) (exp \(t.accessExp)) verifies: engine \(verifies), model \(!verifies) (\(model.standing(t.id, at: now)))"
            }
            for (g, token) in t.refresh.sorted(by: { $0.key > $1.key }).prefix(3) {
                let status = e.refreshTokenStatus(token), expected = model.status(t.id, generation: g, at: now)
                if status != expected { return "\(at): status of #\(i)'s generation \(g): engine \(status), model \(expected)" }
            }
        }
        return nil
    }

    static func compare(_ result: Result<Void, EngineError>, _ expected: SessionModel.Outcome, _ at: String) -> String? {
        switch (result, expected) {
        case (.success, .ok): return nil
        case let (.failure(e), .failed(k)) where e.kind == k: return nil
        default: return "\(at): the engine answered \(describe(result)), the model \(expected)"
        }
    }

    static func describe<T>(_ r: Result<T, EngineError>) -> String {
        switch r {
        case .success: "success"
        case let .failure(e): "failure(\(e.kind))"
        }
    }

    /// A token with one character of its MAC changed.
    static func forge(_ token: String) -> String {
        var chars = Array(token)
        let i = chars.count - 3
        chars[i] = chars[i] == "A" ? "B" : "A"
        return String(chars)
    }
}

/// Runs an engine call and keeps its error as an ``EngineError``.
func attemptAny<T>(_ body: () async throws -> T) async -> Result<T, EngineError> {
    do { return .success(try await body()) } catch let e as EngineError { return .failure(e) } catch {
        return .failure(EngineError(.storage, "\(error)"))
    }
}
