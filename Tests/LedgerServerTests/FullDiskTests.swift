import Foundation
import Glibc
import LedgerTesting
import Testing

/// A real `authledger serve` on a small filesystem that fills up: callers get a clear error,
/// nothing unanswered is stored and nothing answered is lost, and the service carries on
/// by itself once there is space again. Needs to mount a tmpfs, so root (as CI runs).
@Suite("A full disk", .serialized)
struct FullDiskTests {
    static func mount(_ arguments: [String]) -> Int32 {
        guard let r = try? ChildProcess.run("/bin/mount", arguments, timeout: 30) else { return -1 }
        return r.termination == .exited(0) ? 0 : 1
    }

    static func unmount(_ path: String) {
        _ = try? ChildProcess.run("/bin/umount", ["-l", path], timeout: 30)
    }

    @Test("logins until the disk is full: 503 storage with the reason, nothing refused is in the log, every answered login is; with space again the same process serves on",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func fullDisk() async throws {
        let dir = TemporaryDirectory()
        guard Self.mount(["-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dir.path]) == 0 else {
            Issue.record("mount -t tmpfs failed: this machine does not permit it")
            return
        }
        // Unmounted before the directory is removed: the defer uses `dir`, which keeps it alive.
        defer { Self.unmount(dir.path) }
        do {
            let filler = String(repeating: "u", count: 1000)
            var server = try LiveServer(dir: dir, arguments: ["--rate-limit-per-minute", "0"])
            var answered: [String] = []
            var refusal: LiveServer.Answer?
            for i in 0..<20_000 {
                let r = try await server.call("POST", "/v1/sessions", json: #"{"user":"user-\#(i % 100)","device_label":"d\#(i)","user_agent":"\#(filler)"}"#)
                if r.status == 201 {
                    answered.append(try r.json()["session"] as! String)
                } else {
                    refusal = r
                    break
                }
            }
            let full = try #require(refusal, "the 1 MiB filesystem never filled")
            #expect(full.status == 503)
            let problem = try full.json()
            #expect(problem["type"] as? String == "urn:authledger:problem:storage", "\(problem)")
            #expect((problem["detail"] as? String ?? "").contains("nothing changed"), "\(problem)")
            #expect(server.log.contains("No space left on device"), "the operator's log says why")
            #expect(answered.count > 50, "some logins fitted first")
            // Still full: more refusals, each as clear, none of them stored.
            for _ in 0..<5 {
                let r = try await server.call("POST", "/v1/sessions", json: #"{"user":"late","device_label":"d","user_agent":"\#(filler)"}"#)
                #expect(r.status == 503)
            }
            #expect(try await server.call("GET", "/healthz").status == 200)
            // Space returns: the same process logs in again, with no restart.
            #expect(Self.mount(["-o", "remount,size=16m", dir.path]) == 0)
            let again = try await server.call("POST", "/v1/sessions", json: #"{"user":"after","device_label":"d"}"#)
            #expect(again.status == 201, "\(again.text)")
            if again.status == 201 { answered.append(try again.json()["session"] as! String) }
            try server.terminate()
            // After a restart: every answered login is there, no refused one, and the chain holds.
            server = try LiveServer(dir: dir, key: server.key)
            let head = try await server.call("GET", "/v1/projection").json()["position"] as! Int
            let started = try await server.stream("from=1&types=session.started&until=\(head)").filter { $0.event == "session.started" }
            let logged = started.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.data.utf8)) as? [String: Any])?["session"] as? String }
            #expect(logged == answered, "the log's logins are exactly the answered ones, in order")
            let verify = try LiveServer.run(["verify", "--data-dir", dir.path])
            #expect(verify.hasPrefix("intact"), "\(verify)")
            try server.terminate()
        }
    }
}
