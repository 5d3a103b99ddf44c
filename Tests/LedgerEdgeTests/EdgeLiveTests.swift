import Foundation
import LedgerCrypto
import LedgerEdge
import LedgerTokens
import MetricsTestKit
import LedgerTesting
import Testing

/// The edge library against a real `authledger serve` that the test starts (and stops, and
/// starts again). Serialized: each test runs its own server process on two shared cores.
@Suite("Edge against a live server", .serialized)
struct EdgeLiveTests {
    /// A running verifier for `server`, stopped when the returned task is cancelled.
    func follow(_ server: AuthLedgerProcess, _ tune: (inout EdgeConfiguration) -> Void = { _ in }) async throws -> (EdgeVerifier, Task<Void, Never>) {
        var configuration = EdgeConfiguration(server: server.base, apiKey: server.key, policy: VerificationPolicy(issuer: "authledger", audience: "api"))
        configuration.reconnect = Backoff(initial: .milliseconds(20), maximum: .milliseconds(200))
        // Far beyond the test server's 1 s heartbeats: a busy machine once held the stream's
        // bytes back for 5 s; the tests of failing closed set their own limit.
        configuration.failure = .failClosed(after: .seconds(30))
        tune(&configuration)
        let verifier = EdgeVerifier(configuration: configuration)
        let task = Task { _ = try? await verifier.run() }
        // Generous: two shared cores may be busy with whole builds.
        #expect(await verifier.waitUntilReady(timeout: .seconds(60)))
        return (verifier, task)
    }

    /// Polls `verify` until it throws `code`; returns how long that took.
    func timeUntil(_ verifier: EdgeVerifier, refuses token: String, with code: EdgeError.Code, within limit: Duration = .seconds(30)) async -> Duration? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            do { _ = try await verifier.verify(token) } catch {
                if error.code == code { return ContinuousClock.now - started }
            }
            try? await Task.sleep(for: .microseconds(200))
        }
        return nil
    }

    func waitFor(_ limit: Duration = .seconds(30), _ condition: () async -> Bool) async -> Bool {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < limit {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return false
    }

    @Test("a session revoked on the server is refused within 100 ms; its user's other session is not")
    func revocationWithin100ms() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let (verifier, task) = try await follow(server)
        defer { task.cancel() }
        let (token, session) = try await server.login("alice", claims: #"{"role":"admin"}"#)
        let (other, _) = try await server.login("alice")
        let claims = try await verifier.verify(token)
        #expect(claims.subject == "alice" && claims.sessionID == session && claims.custom["role"] == .string("admin"))
        // Timed from the server's answer to the revoke call (the revocation is committed).
        // On two cores shared with the rest of the suite (several live servers, the crash
        // harness and the hostile-client run at once), a round can be held up by the
        // scheduler for seconds whatever the library does (CI once saw 2.6 s), so the suite
        // asks for the 100 ms in the best of nine rounds (a library that learned of
        // revocations from the test server's 1 s heartbeats, or by polling, would rarely
        // manage it nine times running) and for no round to stall beyond 5 s (a reconnect
        // with backoff). The latency distribution on an unloaded machine is the edge
        // benchmark's (BENCHMARKS.md: p99 1.27 ms).
        var rounds: [Duration] = []
        for _ in 0..<9 {
            let (token, session) = try await server.login("bob")
            _ = try await verifier.verify(token)
            try await server.revoke("bob", session)
            rounds.append(try #require(await timeUntil(verifier, refuses: token, with: .revoked, within: .seconds(10))))
        }
        #expect(rounds.min()! < .milliseconds(100), "refused after \(rounds)")
        #expect(rounds.max()! < .seconds(5), "refused after \(rounds)")
        try await server.revoke("alice", session)
        #expect(await timeUntil(verifier, refuses: token, with: .revoked, within: .seconds(1)) != nil)
        _ = try await verifier.verify(other)
        let status = verifier.status
        #expect(status.connected && status.loaded && !status.behind && status.revokedSessions == rounds.count + 1 && status.lagEvents == 0)
    }

    @Test("the server restarted while the library runs: it resumes after its last position and misses no revocation")
    func serverRestart() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let (verifier, task) = try await follow(server)
        defer { task.cancel() }
        let a = try await server.login("a"), b = try await server.login("b"), c = try await server.login("c")
        try await server.revoke("a", a.session)
        #expect(await timeUntil(verifier, refuses: a.token, with: .revoked) != nil)
        try server.stop()
        #expect(await waitFor { !verifier.status.connected })
        try server.start()
        // Revoked at once, most likely before the library has reconnected: only a resume from
        // the last position seen (Last-Event-ID) delivers it.
        try await server.revoke("b", b.session)
        #expect(await timeUntil(verifier, refuses: b.token, with: .revoked) != nil)
        _ = try await verifier.verify(c.token)
        let status = verifier.status
        #expect(status.stateLoads == 1, "resumed, not reloaded")
        #expect(status.connections >= 2)
        #expect(status.position == (try await server.head()))
    }

    @Test("a key rotated on the server (by restarting without the active key file) verifies new tokens without restarting the service; made-up kids refetch at most once per interval")
    func keyRotation() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let (verifier, task) = try await follow(server) { $0.unknownKeyRefetchInterval = .seconds(60) }
        defer { task.cancel() }
        let old = try await server.login("alice")
        _ = try await verifier.verify(old.token)
        let fetches = verifier.status.keySetFetches
        // The server offers no rotation over HTTP or the CLI while it runs; its documented
        // way is a start without the active key's private file, which signs with a new key
        // and keeps the old one published.
        try server.stop()
        let keys = server.dir.path + "/keys"
        let oldKid = try #require(Self.kid(old.token))
        try FileManager.default.moveItem(atPath: "\(keys)/\(oldKid).pem", toPath: server.dir.path + "/\(oldKid).pem.retired")
        try server.start()
        let new = try await server.login("alice")
        #expect(Self.kid(new.token) != oldKid)
        let claims = try await verifier.verify(new.token)
        #expect(claims.sessionID == new.session)
        _ = try await verifier.verify(old.token)
        #expect(verifier.status.keySetFetches == fetches + 1)
        // Forged tokens naming unknown kids: refused, and no further fetch within the interval.
        for i in 0..<50 {
            let forged = Self.withKid("forged-\(i)", new.token)
            await #expect(throws: EdgeError.self) { try await verifier.verify(forged) }
        }
        #expect(verifier.status.keySetFetches == fetches + 1)
    }

    @Test("a stream down past the limit fails closed, then recovers when the server is back")
    func failClosedAndRecover() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let metrics = TestMetrics()
        let (verifier, task) = try await follow(server) {
            $0.failure = .failClosed(after: .seconds(3))
            $0.metricsFactory = metrics
            $0.maintenanceInterval = .milliseconds(100)
        }
        defer { task.cancel() }
        let (token, _) = try await server.login()
        _ = try await verifier.verify(token)
        #expect(await waitFor { (try? metrics.expectGauge("authledger_edge_connected").lastValue) == 1 })
        try server.stop()
        // Still accepted while within the limit…
        _ = try await verifier.verify(token)
        // …refused once past it, saying why.
        let after = try #require(await timeUntil(verifier, refuses: token, with: .behind))
        #expect(after > .seconds(1))
        #expect(verifier.status.behind && !verifier.status.connected)
        do { _ = try await verifier.verify(token) } catch { #expect(error.reason.contains("fail closed")) }
        // The same state through swift-metrics.
        #expect(await waitFor { (try? metrics.expectGauge("authledger_edge_behind").lastValue) == 1 })
        #expect(try metrics.expectGauge("authledger_edge_connected").lastValue == 0)
        #expect(try metrics.expectGauge("authledger_edge_lag_seconds").lastValue ?? 0 > 3)
        #expect(try metrics.expectCounter("authledger_edge_refused_total", [("reason", "behind")]).totalValue >= 1)
        try server.start()
        #expect(await waitFor { (try? await verifier.verify(token)) != nil })
        #expect(!verifier.status.behind)
        #expect(await waitFor { (try? metrics.expectGauge("authledger_edge_behind").lastValue) == 0 })
    }

    @Test("fail open: past the limit, signature-valid tokens are accepted and known revocations still refused")
    func failOpen() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let (verifier, task) = try await follow(server) { $0.failure = .failOpen(after: .seconds(1)) }
        defer { task.cancel() }
        let a = try await server.login("a"), b = try await server.login("b")
        try await server.revoke("a", a.session)
        #expect(await timeUntil(verifier, refuses: a.token, with: .revoked) != nil)
        try server.stop()
        #expect(await waitFor { verifier.status.behind })
        _ = try await verifier.verify(b.token)
        await #expect(throws: EdgeError.self) { try await verifier.verify(a.token) }
    }

    @Test("the server restored from an older backup no longer knows the library's position: it answers 409 and the library reloads the state")
    func positionUnknownReloads() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let victim = try await server.login("victim")
        let backup = try server.backUp()
        defer { try? FileManager.default.removeItem(atPath: backup) }
        let (verifier, task) = try await follow(server)
        defer { task.cancel() }
        for user in ["x", "y", "z"] { _ = try await server.login(user) }
        let ahead = try await server.head()
        #expect(await waitFor { verifier.status.position == ahead })
        // Restore the backup: the log now ends before the library's position.
        try server.restore(backup)
        let restoredHead = try await server.head()
        #expect(restoredHead < ahead)
        let answer = try await server.call("GET", "/v1/events", headers: ["Last-Event-ID": String(ahead)])
        #expect(answer.status == 409 && answer.text.contains("position-unknown"), "\(answer.status) \(answer.text)")
        // A revocation in the restored log at a position the library believes it has seen:
        // following on from its old position would skip it.
        try await server.revoke("victim", victim.session)
        #expect(await timeUntil(verifier, refuses: victim.token, with: .revoked) != nil)
        #expect(verifier.status.stateLoads >= 2)
    }

    static func kid(_ token: String) -> String? {
        guard let header = token.split(separator: ".").first, let bytes = Base64URL.decode(String(header)),
              let o = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else { return nil }
        return o["kid"] as? String
    }

    static func withKid(_ kid: String, _ token: String) -> String {
        let parts = token.split(separator: ".")
        let header = Base64URL.encode(Array(#"{"alg":"ES256","typ":"at+jwt","kid":"\#(kid)"}"#.utf8))
        return "\(header).\(parts[1]).\(parts[2])"
    }
}

@Suite("Other languages: the Python edge verifier", .serialized)
struct PythonEdgeTests {
    @Test("tools/edge_verify.py (PyJWT plus subscriber.py's Follower) accepts a token, refuses it once revoked, and follows a server restart")
    func pythonEdge() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/edge_verify.py").path
        let p = try ChildProcess("python3", [script, "--url", server.base, "--key", server.key], input: .pipe)
        func ask(_ token: String) throws -> [String: Any] {
            p.write(token + "\n")
            guard let line = p.nextLine(timeout: 60) else { throw TestError("edge_verify.py answered nothing: \(p.errorOutput.suffix(2000))") }
            return try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
        }
        func waitFor(_ token: String, _ expected: String) async throws -> Bool {
            for _ in 0..<1200 {
                let answer = try ask(token)
                if (answer["ok"] as? Bool == true ? "ok" : answer["error"] as? String) == expected { return true }
                try await Task.sleep(for: .milliseconds(25))
            }
            return false
        }
        let a = try await server.login("alice"), b = try await server.login("bob")
        #expect(try await waitFor(a.token, "ok"))
        #expect(try ask("not.a.token")["error"] as? String == "invalid_token")
        try await server.revoke("alice", a.session)
        #expect(try await waitFor(a.token, "revoked"))
        try server.stop()
        try server.start()
        try await server.revoke("bob", b.session)
        #expect(try await waitFor(b.token, "revoked"))
    }

    @Test("tools/subscriber.py, its position unknown to a server restored from an older backup, is answered 409 and reloads the state")
    func subscriberReloads() async throws {
        let server = try AuthLedgerProcess()
        defer { try? server.stop() }
        let victim = try await server.login("victim")
        let backup = try server.backUp()
        defer { try? FileManager.default.removeItem(atPath: backup) }
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/subscriber.py").path
        let p = try ChildProcess("python3", [script, "--url", server.base, "--key", server.key, "--heartbeats", "--state"])
        // A subscriber silent for a minute fails the test (nil ends each loop below).
        func nextLine() -> [String: Any]? {
            p.nextLine(timeout: 60).map { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) ?? [:] }
        }
        for user in ["x", "y", "z"] { _ = try await server.login(user) }
        let ahead = try await server.head()
        // Wait until a heartbeat has carried the subscriber past the backup's head.
        while true {
            let line = try #require(nextLine(), "subscriber.py: \(p.errorOutput.suffix(2000))")
            if let beat = line["heartbeat"] as? Int, beat >= Int(ahead) { break }
        }
        try server.restore(backup)
        try await server.revoke("victim", victim.session)
        var reloaded = false
        while true {
            let line = try #require(nextLine(), "subscriber.py: \(p.errorOutput.suffix(2000))")
            if line["state"] != nil { reloaded = true }
            if let sessions = line["sessions"] as? [String], sessions == [victim.session] { break }
            if let revoked = (line["state"] as? [String: Any])?["revoked"] as? [String], revoked.contains(victim.session) { break }
        }
        #expect(reloaded)
    }
}
