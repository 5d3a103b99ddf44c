import Foundation
import Hummingbird
import LedgerEngine
import LedgerTokens

/// The HTTP benchmarks' ceilings (tools/http-bench.sh): what Hummingbird answers with no
/// work behind a route, and the engine's in-process rate for the operations the service
/// exposes, so that each HTTP figure is read against `1 / (1/ceiling + 1/in-process)`.
enum HTTPCeiling {
    /// http-ceiling PORT: a minimal Hummingbird 2 server on 127.0.0.1 with the same
    /// defaults as `authledger serve` (the shared event-loop group, one thread per core).
    /// `GET /ceiling` answers a small fixed JSON body; `POST /ceiling` reads the request's
    /// body (as the refresh and introspection routes do) and answers the same. Prints
    /// `ceiling listening on http://HOST:PORT` once bound; runs until killed.
    static func serve(port: Int) async throws {
        let body = ByteBuffer(string: #"{"active":true,"token_type":"access_token","sub":"ceiling"}"#)
        @Sendable func answer() -> Response {
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
        }
        let router = Router()
        router.get("ceiling") { _, _ in answer() }
        router.post("ceiling") { request, _ in
            _ = try await request.body.collect(upTo: 16_384)
            return answer()
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "ceiling"),
            onServerRunning: { channel in
                let a = channel.localAddress
                FileHandle.standardOutput.write(Data("ceiling listening on http://\(a?.ipAddress ?? "127.0.0.1"):\(a?.port ?? port)\n".utf8))
            })
        try await app.runService()
    }

    /// engine-check-parallel DIR SECONDS TASKS: the engine's access-token check (signature,
    /// claims, session standing; what `POST /v1/introspect` does for an access token) from
    /// TASKS tasks at once, on every core, for SECONDS.
    static func parallelCheck(dir: String, seconds: Double, tasks: Int) async throws {
        let (engine, token) = try await EngineBenchmarks.checkFixture(dir: dir)
        let done = Counter()
        let start = monotonicSeconds()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<tasks {
                group.addTask {
                    while monotonicSeconds() - start < seconds {
                        for _ in 0..<16 { _ = try engine.verifyAccessToken(token) }
                        done.add(16)
                        // Let the other tasks on this core run, as separate requests would.
                        await Task.yield()
                    }
                }
            }
            try await group.waitForAll()
        }
        let secs = monotonicSeconds() - start
        report(["bench": "engine-check-parallel", "tasks": tasks, "checks": done.value, "seconds": secs,
                "per_second": Double(done.value) / secs])
    }
}
