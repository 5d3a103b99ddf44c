import Foundation
import LedgerTesting
import Testing

/// Against a real `authledger serve` on a socket. Serialized: each test starts its own
/// server process, and two cores run them one at a time more predictably.
@Suite("Live server", .serialized)
struct LiveServerTests {
    func login(_ server: LiveServer, user: String = "alice") async throws -> [String: Any] {
        let r = try await server.call("POST", "/v1/sessions", json: #"{"user":"\#(user)","device_label":"iPhone","user_agent":"Safari/17"}"#)
        #expect(r.status == 201, "\(r.text)")
        return try r.json()
    }

    func refresh(_ server: LiveServer, _ token: String) async throws -> String {
        let r = try await server.call("POST", "/v1/refresh", json: #"{"refresh_token":"\#(token)"}"#, useKey: false)
        #expect(r.status == 200, "\(r.text)")
        return try r.json()["refresh_token"] as? String ?? ""
    }

    @Test("log in, refresh, revoke: a subscriber started from the revocation state receives the revocation and agrees with the server")
    func revocationReachesSubscriber() async throws {
        let server = try LiveServer()
        defer { _ = try? server.terminate() }
        let s = try await login(server)
        _ = try await refresh(server, s["refresh_token"] as! String)
        let position = try await server.call("GET", "/readyz").json()["position"] as! Int
        // The Python subscriber (standard library only) starts from the revocation state and
        // follows live; an admin revocation appends exactly one event, so it stops after it.
        let p = try ChildProcess("python3", [LiveServer.repository.appendingPathComponent("tools/subscriber.py").path,
                                             "--url", server.base, "--key", server.key, "--until", String(position + 1), "--state"])
        // Its first line is the state it loaded: only then is the revocation news to it.
        let first = try #require(p.nextLine(timeout: 60), "subscriber.py printed nothing: \(p.errorOutput)")
        let revoke = try await server.call("POST", "/v1/users/alice/sessions/\(s["session"] as! String)/revoke")
        #expect(revoke.status == 204)
        #expect(try p.wait(timeout: 60) == .exited(0), "\(p.errorOutput)")
        let data = p.output
        #expect(data.hasPrefix(first))
        let lines = data.split(separator: "\n")
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let state = lines.first?["state"] as? [String: Any]
        #expect(state?["position"] as? Int == position)
        let event = try #require(lines.last)
        #expect(event["type"] as? String == "session.revoked")
        #expect(event["sessions"] as? [String] == [s["session"] as! String])
        let server_ = try await server.call("GET", "/v1/revocations").json()
        let serverRevoked = (server_["revoked"] as! [[String: Any]]).map { $0["session"] as! String }.sorted()
        #expect(event["revoked"] as? [String] == serverRevoked)
        #expect(server_["position"] as? Int == position + 1)
    }

    @Test("a reconnect with Last-Event-ID loses and repeats nothing")
    func resumeExactly() async throws {
        let server = try LiveServer()
        defer { _ = try? server.terminate() }
        for user in ["a", "b", "c", "d", "e", "f"] {
            let s = try await login(server, user: user)
            let r = try await server.call("DELETE", "/v1/users/\(user)/sessions/\(s["session"] as! String)")
            #expect(r.status == 204)
        }
        let head = try await server.call("GET", "/readyz").json()["position"] as! Int
        let all = try await server.stream("from=1&types=all&until=\(head)").filter { $0.event != "heartbeat" }
        #expect(all.map(\.id) == Array(1...UInt64(head)))
        for cut in [UInt64(1), 5, UInt64(head) - 1] {
            let rest = try await server.stream("types=all&until=\(head)", lastEventID: cut).filter { $0.event != "heartbeat" }
            #expect(rest.map(\.id) == Array((cut + 1)...UInt64(head)), "resumed after \(cut)")
        }
    }

    @Test("a filtered subscriber's position advances through long stretches of rotations and resumes correctly")
    func filteredResume() async throws {
        let server = try LiveServer(arguments: ["--rate-limit-per-minute", "0"])
        defer { _ = try? server.terminate() }
        let s = try await login(server)
        var token = s["refresh_token"] as! String
        for _ in 0..<150 { token = try await refresh(server, token) }
        let middle = try await server.call("GET", "/readyz").json()["position"] as! Int
        // Only revocation types: nothing matches, yet the stream's last id reaches the head.
        let quiet = try await server.stream("from=1&until=\(middle)")
        #expect(quiet.filter { $0.event != "heartbeat" }.isEmpty)
        #expect(quiet.last?.event == "heartbeat")
        #expect(quiet.last?.id == UInt64(middle))
        for _ in 0..<50 { token = try await refresh(server, token) }
        let out = try await server.call("DELETE", "/v1/users/alice/sessions/\(s["session"] as! String)")
        #expect(out.status == 204)
        let head = try await server.call("GET", "/readyz").json()["position"] as! Int
        let resumed = try await server.stream("until=\(head)", lastEventID: quiet.last!.id)
        let matching = resumed.filter { $0.event != "heartbeat" }
        #expect(matching.map(\.event) == ["session.ended"])
        #expect(matching.first?.id == UInt64(head))
    }

    @Test("an idle filtered stream writes nothing for commits it does not match, and its heartbeats still reach the head")
    func heartbeatsPassOverUnmatchedCommits() async throws {
        let server = try LiveServer(arguments: ["--rate-limit-per-minute", "0", "--heartbeat-seconds", "1"])
        let stream = Task { try await server.call("GET", "/v1/events") }
        for _ in 0..<100 where !(try await server.call("GET", "/metrics").text.contains("authledger_event_subscribers 1")) {
            try await Task.sleep(for: .milliseconds(50))
        }
        for i in 0..<20 { _ = try await login(server, user: "quiet\(i)") }
        let head = try await server.call("GET", "/readyz").json()["position"] as! Int
        try await Task.sleep(for: .milliseconds(2_500))
        _ = try server.terminate()
        let events = parseSSE(try await stream.value.text)
        #expect(!events.isEmpty && events.allSatisfy { $0.event == "heartbeat" })
        #expect(events.last?.id == UInt64(head))
    }

    @Test("SIGTERM with open event streams exits promptly, and the next start replays nothing")
    func sigtermWithOpenStreams() async throws {
        let server = try LiveServer()
        _ = try await login(server)
        // Two subscribers that would follow forever.
        let streams = (0..<2).map { _ in
            Task { try? await server.call("GET", "/v1/events?from=1&types=all") }
        }
        for _ in 0..<100 where !(try await server.call("GET", "/metrics").text.contains("authledger_event_subscribers 2")) {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await server.call("GET", "/metrics").text.contains("authledger_event_subscribers 2"))
        let seconds = try server.terminate()
        #expect(seconds < 5)
        for s in streams { _ = await s.value }
        let again = try LiveServer(dir: server.dir, key: server.key)
        defer { _ = try? again.terminate() }
        #expect(try await again.call("GET", "/readyz").status == 200)
        try await Task.sleep(for: .milliseconds(200))
        #expect(again.log.contains("replayed=0"), "\(again.log)")
    }

    @Test("SIGTERM during a burst of logins: every login answered 201 is in the log after the restart, and none failed otherwise than refused")
    func sigtermDuringWrites() async throws {
        let server = try LiveServer(arguments: ["--rate-limit-per-minute", "0"])
        let logins = (0..<40).map { i in
            Task { try? await server.call("POST", "/v1/sessions", json: #"{"user":"burst\#(i)","device_label":"d"}"#) }
        }
        try await Task.sleep(for: .milliseconds(30))
        try server.terminate()
        var answered: [String] = []
        for (i, login) in logins.enumerated() {
            guard let answer = await login.value else { continue }  // not accepted: the connection was refused or closed
            #expect(answer.status == 201 || answer.status == 503, "\(answer.status) \(answer.text)")
            if answer.status == 201 { answered.append("burst\(i)") }
        }
        let again = try LiveServer(dir: server.dir, key: server.key)
        defer { _ = try? again.terminate() }
        for user in answered {
            let history = try await again.call("GET", "/v1/users/\(user)/history").json()
            #expect((history["events"] as? [[String: Any]])?.first?["type"] as? String == "session.started", "\(user)")
        }
    }

    @Test("scopes and bad input on the wire: 401, 403, 404 problem documents with a request id")
    func wire() async throws {
        let server = try LiveServer()
        defer { _ = try? server.terminate() }
        let none = try await server.call("GET", "/v1/users/alice/sessions", useKey: false)
        #expect(none.status == 401)
        #expect(none.headers["content-type"] == "application/problem+json")
        #expect(none.headers["x-request-id"]?.isEmpty == false)
        let bad = try await server.call("POST", "/v1/sessions", json: #"{"user":"alice""#)
        #expect(bad.status == 400)
        let missing = try await server.call("GET", "/nowhere")
        #expect(missing.status == 404)
        #expect(missing.headers["content-type"] == "application/problem+json", "Hummingbird's own 404 as a problem document too")
        // Each request's line names its route pattern and status, and the request id it
        // answered with; never the key.
        let lines = server.log.split(separator: "\n")
        let requestID = try #require(bad.headers["x-request-id"])
        #expect(lines.contains { $0.contains(requestID) && $0.contains("status=400") && $0.contains("route=/v1/sessions") }, "\(server.log.suffix(2000))")
        #expect(!server.log.contains(server.key))
    }

    @Test("authledger apikey: create prints the key once, list shows no secret, revoke stops it; writing while serve runs says what to do")
    func apikeyCLI() async throws {
        let server = try LiveServer()
        let running = try ChildProcess.run(LiveServer.binary.path, ["apikey", "create", "--data-dir", server.dir.path, "--scope", "events:read", "--label", "x"])
        let message = running.errorOutput
        #expect(running.termination != .exited(0))
        #expect(message.contains("stop the server first"), "\(message)")
        try server.terminate()

        let id = String(server.key.dropFirst(4).prefix(16))
        let listed = try LiveServer.run(["apikey", "list", "--data-dir", server.dir.path])
        #expect(listed.contains(id) && listed.contains("admin") && !listed.contains(String(server.key.suffix(43))))
        _ = try LiveServer.run(["apikey", "revoke", "--data-dir", server.dir.path, id])
        #expect(try LiveServer.run(["apikey", "list", "--data-dir", server.dir.path]).contains("revoked="))
        let again = try LiveServer(dir: server.dir, key: server.key)
        defer { _ = try? again.terminate() }
        #expect(try await again.call("GET", "/v1/revocations").status == 401)
    }
}
