import AsyncHTTPClient
import Foundation
import LedgerEdge
import LedgerTokens
import NIOCore
import NIOHTTP1

/// The edge library against a real `authledger serve` (a release build, started here):
/// local verification with the revocation check beside a bare verification in the same
/// process, and revocation propagation from the revoke call to the library's refusal.
enum EdgeBenchmarks {
    struct Server {
        let process: Process
        let base: String
        let key: String

        init(binary: String, dir: String) throws {
            let create = Process()
            create.executableURL = URL(fileURLWithPath: binary)
            create.arguments = ["apikey", "create", "--data-dir", dir, "--scope", "admin", "--label", "bench"]
            let out = Pipe()
            create.standardOutput = out
            try create.run()
            key = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            create.waitUntilExit()
            process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = ["serve", "--data-dir", dir, "--port", "0", "--rate-limit-per-minute", "0", "--log-level", "warning"]
            let serveOut = Pipe()
            process.standardOutput = serveOut
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = ""
            while !line.contains("\n") {
                let chunk = serveOut.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                line += String(decoding: chunk, as: UTF8.self)
            }
            guard let r = line.range(of: "http://") else { fail("serve printed no address: \(line)") }
            base = String(line[r.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
        }

        func call(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> (Int, ByteBuffer) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer " + key)
            if let json {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(string: json))
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), try await response.body.collect(upTo: 1 << 20))
        }

        func login(_ user: String) async throws -> (token: String, session: String) {
            let (status, body) = try await call(.POST, "/v1/sessions", json: #"{"user":"\#(user)","device_label":"bench","claims":{"role":"reader"}}"#)
            guard status == 201, let o = try? JSONParser.parse(Array(buffer: body)).objectValue,
                  let token = o["access_token"]?.stringValue, let session = o["session"]?.stringValue else { fail("login answered \(status)") }
            return (token, session)
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func start(_ server: Server) async throws -> (EdgeVerifier, Task<Void, Never>) {
        var configuration = EdgeConfiguration(server: server.base, apiKey: server.key, policy: VerificationPolicy(issuer: "authledger", audience: "api"))
        configuration.logger.logLevel = .warning
        let edge = EdgeVerifier(configuration: configuration)
        let task = Task { _ = try? await edge.run() }
        guard await edge.waitUntilReady() else { fail("the edge did not load the state") }
        return (edge, task)
    }

    /// edge-verify BINARY DIR SECONDS: the edge's `verify` (signature, claims, revocation
    /// set, failure policy) and a bare `AccessTokenVerifier` on the same token and keys, in
    /// alternating bursts of 64; the ratio is the median of per-pair ratios.
    static func verify(binary: String, dir: String, seconds: Double) async throws {
        let server = try Server(binary: binary, dir: dir)
        defer { server.stop() }
        let (edge, task) = try await start(server)
        defer { task.cancel() }
        let (token, _) = try await server.login("alice")
        // Some revoked sessions held, so the lookup is not into an empty set.
        for i in 0..<200 {
            let s = try await server.login("user\(i)")
            _ = try await server.call(.POST, "/v1/users/user\(i)/sessions/\(s.session)/revoke")
        }
        let (_, jwksBody) = try await server.call(.GET, "/.well-known/jwks.json")
        let bare = AccessTokenVerifier(keys: try JWKS.parse(Array(buffer: jwksBody)).keys, policy: VerificationPolicy(issuer: "authledger", audience: "api"))
        _ = try await edge.verify(token)
        let burst = 64
        var mine: [Double] = [], other: [Double] = []
        let end = monotonicSeconds() + seconds
        var round = 0
        while monotonicSeconds() < end || round % 2 != 0 {
            func edgeBurst() async throws -> Double {
                let t0 = monotonicSeconds()
                for _ in 0..<burst { _ = try await edge.verify(token) }
                return Double(burst) / (monotonicSeconds() - t0)
            }
            func bareBurst() throws -> Double {
                let t0 = monotonicSeconds()
                let now = Int64(Date().timeIntervalSince1970)
                for _ in 0..<burst { _ = try bare.verify(token, now: now) }
                return Double(burst) / (monotonicSeconds() - t0)
            }
            if round % 2 == 0 { mine.append(try await edgeBurst()); other.append(try bareBurst()) }
            else { other.append(try bareBurst()); mine.append(try await edgeBurst()) }
            round += 1
        }
        report(["bench": "edge-verify", "rounds": round, "revoked_held": edge.status.revokedSessions,
                "per_second": TokenBenchmarks.median(mine), "bare_per_second": TokenBenchmarks.median(other),
                "ratio": TokenBenchmarks.median(zip(mine, other).map { $0 / $1 })])
    }

    /// edge-propagation BINARY DIR COUNT: for each of COUNT sessions, the time from sending
    /// the revoke call to the edge refusing the token (polled every 100 µs), and from the
    /// call's answer (the revocation committed) to the refusal.
    static func propagation(binary: String, dir: String, count: Int) async throws {
        let server = try Server(binary: binary, dir: dir)
        defer { server.stop() }
        let (edge, task) = try await start(server)
        defer { task.cancel() }
        var fromCall: [Double] = [], fromAnswer: [Double] = []
        for i in 0..<count {
            let (token, session) = try await server.login("p\(i)")
            _ = try await edge.verify(token)
            let t0 = monotonicSeconds()
            let answered = Task { () -> Double in
                _ = try await server.call(.POST, "/v1/users/p\(i)/sessions/\(session)/revoke")
                return monotonicSeconds()
            }
            while true {
                do { _ = try await edge.verify(token) } catch { if error.code == .revoked { break } }
                try await Task.sleep(for: .microseconds(100))
            }
            let t1 = monotonicSeconds()
            let t204 = try await answered.value
            fromCall.append((t1 - t0) * 1000)
            fromAnswer.append(max(0, t1 - t204) * 1000)
        }
        func percentile(_ v: [Double], _ p: Double) -> Double {
            let s = v.sorted()
            return s[min(s.count - 1, Int((Double(s.count) * p).rounded(.up)) - 1)]
        }
        report(["bench": "edge-propagation", "n": count,
                "p50_ms": percentile(fromCall, 0.5), "p99_ms": percentile(fromCall, 0.99), "max_ms": percentile(fromCall, 1),
                "after_answer_p50_ms": percentile(fromAnswer, 0.5), "after_answer_p99_ms": percentile(fromAnswer, 0.99)])
    }
}
