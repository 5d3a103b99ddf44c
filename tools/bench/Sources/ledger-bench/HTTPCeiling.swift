import Foundation
import Hummingbird
import LedgerEngine
import LedgerTokens
import ServiceLifecycle
import Synchronization

/// The HTTP benchmarks' ceilings (tools/http-bench.sh): what Hummingbird answers with no
/// work behind a route, and the engine's in-process rate for the operations the service
/// exposes, so that each HTTP figure is read against `1 / (1/ceiling + 1/in-process)`.
enum HTTPCeiling {
    /// http-ceiling PORT: a minimal Hummingbird 2 server on 127.0.0.1 with the same
    /// defaults as `authledger serve` (the shared event-loop group, one thread per core).
    /// `GET /ceiling` answers a small fixed JSON body; `POST /ceiling` reads the request's
    /// body (as the refresh and introspection routes do) and answers the same.
    /// `GET /ceiling-stream` starts a streaming response, writes one comment line and holds
    /// it open with nothing else in flight (no timer, no extra task): the framework's own
    /// memory per idle event stream, beside a subscriber's. Prints
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
        // Held streams end when the server shuts down (SIGTERM), or it would wait for them.
        let parked = Mutex<(ended: Bool, streams: [UnsafeContinuation<Void, Never>])>((false, []))
        router.get("ceiling-stream") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/event-stream"], body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: ": open\n\n"))
                await withGracefulShutdownHandler {
                    await withUnsafeContinuation { c in
                        let ended = parked.withLock { p in
                            if !p.ended { p.streams.append(c) }
                            return p.ended
                        }
                        if ended { c.resume() }
                    }
                } onGracefulShutdown: {
                    let streams = parked.withLock { p in
                        p.ended = true
                        defer { p.streams = [] }
                        return p.streams
                    }
                    for c in streams { c.resume() }
                }
                try await writer.finish(nil)
            })
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
