@testable import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Synchronization
import Testing
import LedgerCrypto

@Suite("Determinism")
struct DeterminismTests {
    enum Step: Sendable {
        case login(String, Int)
        case refresh(String)
        case logout(SessionID)
        case logoutAll(String, SessionID?)
        case revoke(SessionID)
        case ban(String), unban(String)
    }

    @Test("a seeded random workload of 100,000+ commands rebuilds from the log to the same projection digest")
    func rebuildMatchesLive() async throws {
        let f = EngineFixture { c in
            c.lifetimes = SessionLifetimes(accessToken: 300, refreshToken: 7_200, idleTimeout: 3_600, absolute: 21_600)
            c.maxSessionsPerUser = 5
        }
        var live = SHA256Digest.zero
        var stats: EngineStatistics?
        let startTime = f.clock.now()
        do {
        let engine = try await f.open()
        var rng = SeededGenerator(state: 20261129)
        let users = (0..<2_000).map { "user-\($0)" }
        let devices = (0..<6).map { Device(label: "device-\($0)", userAgent: "Agent/\($0)", ip: .v4(0xc000_0200 | UInt32($0))) }
        // What clients hold: per session, its newest refresh token and the one before.
        var held: [SessionID: (user: String, current: String, previous: String?)] = [:]
        var commands = 0, failures = 0
        let forger = try RefreshTokenCodec(keys: [1: [UInt8](repeating: 7, count: 32)], current: 1)
        while commands < 100_000 {
            var wave: [Step] = []
            let sessions = Array(held.keys)
            for _ in 0..<32 {
                let roll = Int.random(in: 0..<100, using: &rng)
                if roll < 30 || sessions.isEmpty {
                    wave.append(.login(users.randomElement(using: &rng)!, Int.random(in: 0..<devices.count, using: &rng)))
                } else if roll < 80 {
                    let id = sessions.randomElement(using: &rng)!
                    let h = held[id]!
                    let pick = Int.random(in: 0..<100, using: &rng)
                    let token = pick < 85 ? h.current : (pick < 95 ? (h.previous ?? h.current) : forger.token(session: id.bytes, generation: 1))
                    wave.append(.refresh(token))
                } else if roll < 90 {
                    wave.append(.logout(sessions.randomElement(using: &rng)!))
                } else if roll < 94 {
                    let id = sessions.randomElement(using: &rng)!
                    wave.append(.logoutAll(held[id]!.user, Bool.random(using: &rng) ? id : nil))
                } else if roll < 97 {
                    wave.append(.revoke(sessions.randomElement(using: &rng)!))
                } else if roll < 99 {
                    wave.append(.ban(users.randomElement(using: &rng)!))
                } else {
                    wave.append(.unban(users.randomElement(using: &rng)!))
                }
            }
            commands += wave.count
            // The wave runs concurrently, so commands share group commits.
            let outcomes = await withTaskGroup(of: (Int, SessionTokens?, String?).self) { group in
                for (i, step) in wave.enumerated() {
                    group.addTask {
                        switch step {
                        case let .login(user, d):
                            return (i, try? await engine.login(LoginRequest(user: user, device: devices[d])).tokens, user)
                        case let .refresh(token):
                            return (i, try? await engine.refresh(token, ip: devices[i % devices.count].ip), nil)
                        case let .logout(id): try? await engine.logout(session: id)
                        case let .logoutAll(user, except): try? await engine.logoutAll(user: user, except: except)
                        case let .revoke(id): try? await engine.revoke(session: id, actor: "admin")
                        case let .ban(user): try? await engine.ban(user: user, actor: "admin", reason: "test")
                        case let .unban(user): try? await engine.unban(user: user, actor: "admin")
                        }
                        return (i, nil, nil)
                    }
                }
                return await group.reduce(into: [(Int, SessionTokens?, String?)]()) { $0.append($1) }
            }
            for (i, tokens, user) in outcomes {
                if case .login = wave[i], let tokens, let user { held[tokens.session] = (user, tokens.refreshToken, nil) }
                if case .refresh = wave[i] {
                    if let tokens, let h = held[tokens.session], tokens.refreshToken != h.current {
                        held[tokens.session] = (h.user, tokens.refreshToken, h.current)
                    } else if tokens == nil { failures += 1 }
                }
            }
            // Forget sessions that are gone, so the workload keeps exercising live ones.
            for id in held.keys where engine.session(id) == nil && Int.random(in: 0..<4, using: &rng) == 0 { held[id] = nil }
            f.clock.advance(seconds: Int64.random(in: 0...20, using: &rng))
        }
        #expect(commands >= 100_000)
        #expect(failures > 0)  // stale and forged tokens were among the commands
        live = engine.projectionDigest
        stats = engine.statistics
        #expect(engine.statistics.sessions > 20)

        // Rebuild from scratch through the replay path.
        var rebuilt = SessionProjection(revocationSlackSeconds: f.configuration.leewaySeconds)
        try rebuilt.advance(in: engine.log)
        #expect(rebuilt.digest == live)
        #expect(rebuilt.position == (try engine.log.head().position))
        // Decoding on a second thread or on the caller's builds the same state, also when
        // replay stops part-way (point in time), which cancels the reader thread.
        let middle = Timestamp(microseconds: (f.clock.now().microseconds + startTime.microseconds) / 2)
        var digests: [SHA256Digest] = []
        for concurrent in [false, true] {
            var p = SessionProjection(revocationSlackSeconds: f.configuration.leewaySeconds)
            _ = try p.advance(in: engine.log, through: .max, until: nil, concurrent: concurrent, progress: nil)
            #expect(p.digest == live, "concurrent: \(concurrent)")
            var partial = SessionProjection(revocationSlackSeconds: f.configuration.leewaySeconds)
            let n = try partial.advance(in: engine.log, through: .max, until: middle, concurrent: concurrent, progress: nil)
            #expect(n > 0 && partial.position < rebuilt.position)
            digests.append(partial.digest)
        }
        #expect(digests[0] == digests[1])
        }
        // And a reopened engine (a new process, as far as the data directory can tell) agrees.
        let reopened = try await f.open()
        #expect(reopened.projectionDigest == live)
        #expect(reopened.statistics == stats)
    }
}

@Suite("Replay reader")
struct ReplayReaderTests {
    @Test("a record that does not decode stops replay with its position, in both reading modes, and leaves the projection as it was")
    func undecodable() async throws {
        for concurrent in [false, true] {
            let dir = TemporaryDirectory()
            let log = try EventLog(directory: dir.path, configuration: .unsafeFast())
            let started = AuthEvent.sessionStarted(SessionStarted(session: SessionID.random(), device: Device(label: "d"), lifetimes: SessionLifetimes()))
            _ = try log.commit(groups: [[started.pending(user: "a")]])
            // A rotation whose payload is cut short, then more good records after it.
            _ = try log.commit(groups: [[PendingEvent(type: EventType.refreshRotated.rawValue, schemaVersion: 1, user: "a", payload: [1, 2, 3])]])
            _ = try log.commit(groups: [[started.pending(user: "b")]])
            var p = SessionProjection()
            #expect { _ = try p.advance(in: log, through: .max, until: nil, concurrent: concurrent, progress: nil) } throws: { error in
                (error as? EventDecodingError)?.position == 2
            }
            #expect(p.position == 0, "concurrent: \(concurrent)")
            // Up to the record before it, replay works.
            var q = SessionProjection()
            #expect(try q.advance(in: log, through: 1, until: nil, concurrent: concurrent, progress: nil) == 1)
            #expect(q.statistics.sessions == 1)
        }
    }
}

extension ReplayReaderTests {
    @Test("empty ranges replay nothing: through a position already applied, or past the head")
    func emptyRanges() async throws {
        let dir = TemporaryDirectory()
        let log = try EventLog(directory: dir.path, configuration: .unsafeFast())
        let started = AuthEvent.sessionStarted(SessionStarted(session: SessionID.random(), device: Device(label: "d"), lifetimes: SessionLifetimes()))
        _ = try log.commit(groups: [[started.pending(user: "a")], [started.pending(user: "b")], [started.pending(user: "c")]])
        for concurrent in [false, true] {
            var p = SessionProjection()
            #expect(try p.advance(in: log, through: 2, until: nil, concurrent: concurrent, progress: nil) == 2)
            #expect(try p.advance(in: log, through: 1, until: nil, concurrent: concurrent, progress: nil) == 0)
            #expect(p.position == 2)
            #expect(try p.advance(in: log, through: .max, until: nil, concurrent: concurrent, progress: nil) == 1)
            #expect(try p.advance(in: log, through: .max, until: nil, concurrent: concurrent, progress: nil) == 0)
            #expect(p.position == 3)
            // Asking a finished reader again answers at once, in both modes.
            let reader = try ReplayReader(log: log, from: 1, through: .max, concurrent: concurrent)
            #expect(try reader.next()?.count == 3)
            #expect(try reader.next() == nil)
            #expect(try reader.next() == nil)
            reader.close()
        }
    }
}
