import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerTesting

/// A real `authledger serve`, started from the built binary as an operator would, that can
/// be stopped and started again on the same port (the edge keeps one URL). Like
/// `LiveServer` in LedgerServerTests, which test targets cannot share.
final class AuthLedgerProcess: @unchecked Sendable {
    // @unchecked: `process` and `port` change only in start/stop, which the tests call from
    // one task; nothing else touches them.
    var dir: TemporaryDirectory
    let key: String
    private(set) var port = 0
    private var process: ChildProcess?
    let arguments: [String]

    var base: String { "http://127.0.0.1:\(port)" }

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("authledger")
    }

    init(arguments: [String] = []) throws {
        dir = TemporaryDirectory()
        self.arguments = arguments
        key = try Self.run(["apikey", "create", "--data-dir", dir.path, "--scope", "admin", "--label", "edge test"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try start()
    }

    /// Starts serving `dir`, on the port used before (a free one the first time).
    func start() throws {
        let p = try ChildProcess(Self.binary.path, ["serve", "--data-dir", dir.path, "--port", String(port), "--heartbeat-seconds", "1",
                                                    "--rate-limit-per-minute", "0", "--log-level", "warning"] + arguments)
        let line = p.nextLine(timeout: 60) ?? ""
        guard let colon = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ":").last, let bound = Int(colon) else {
            throw TestError("serve printed no address: \(line) \(p.errorOutput.suffix(2000))")
        }
        port = bound
        process = p
    }

    /// SIGTERM, and waits for the exit.
    func stop() throws {
        guard let p = process else { return }
        process = nil
        try p.terminate(timeout: 20)
    }

    static func run(_ arguments: [String]) throws -> String {
        let r = try ChildProcess.run(binary.path, arguments)
        guard r.succeeded else { throw TestError("authledger \(arguments.joined(separator: " ")) \(r.termination): \(r.errorOutput)") }
        return r.output
    }

    struct Answer: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] { try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:] }
    }

    func call(_ method: String, _ path: String, json: String? = nil, headers: [String: String] = [:]) async throws -> Answer {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        request.setValue("Bearer " + key, forHTTPHeaderField: "Authorization")
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
        return Answer(status: http.statusCode, headers: h, body: data)
    }

    /// Logs `user` in; returns (access token, session id).
    func login(_ user: String = "alice", claims: String = "{}") async throws -> (token: String, session: String) {
        let r = try await call("POST", "/v1/sessions", json: #"{"user":"\#(user)","device_label":"test","claims":\#(claims)}"#)
        guard r.status == 201 else { throw TestError("login answered \(r.status): \(r.text)") }
        let o = try r.json()
        return (o["access_token"] as! String, o["session"] as! String)
    }

    func revoke(_ user: String, _ session: String) async throws {
        let r = try await call("POST", "/v1/users/\(user)/sessions/\(session)/revoke")
        guard r.status == 204 else { throw TestError("revoke answered \(r.status): \(r.text)") }
    }

    func head() async throws -> UInt64 {
        UInt64(try await call("GET", "/readyz").json()["position"] as! Int)
    }
}

extension AuthLedgerProcess {
    /// Stops the server, copies its data directory aside (a backup taken while stopped) and
    /// starts it again. Returns the copy's path; the caller removes it.
    func backUp() throws -> String {
        try stop()
        let backup = dir.path + ".backup"
        try Self.copyTree(dir.path, backup)
        try start()
        return backup
    }

    /// Stops the server, puts `backup` in place of its data directory and starts it again.
    func restore(_ backup: String) throws {
        try stop()
        try FileManager.default.removeItem(atPath: dir.path)
        try Self.copyTree(backup, dir.path)
        try start()
    }

    /// `cp -a`: the engine insists on its keys' modes, which a plain copy may not keep.
    private static func copyTree(_ from: String, _ to: String) throws {
        let r = try ChildProcess.run("/bin/cp", ["-a", from, to])
        guard r.succeeded else { throw TestError("cp -a \(from) \(to) failed: \(r.errorOutput)") }
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
