import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LedgerTesting
import Testing

/// A real `authledger serve` on a free port, started from the built binary as an operator
/// would, with an admin key created by `authledger apikey create` beforehand.
final class LiveServer: @unchecked Sendable {
    // @unchecked: every property is set once in init.
    let dir: TemporaryDirectory
    let key: String
    let process: ChildProcess
    let base: String

    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("authledger")
    }
    static var repository: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent() }

    init(dir: TemporaryDirectory = TemporaryDirectory(), key: String? = nil, arguments: [String] = []) throws {
        self.dir = dir
        if let key {
            self.key = key
        } else {
            let create = try Self.run(["apikey", "create", "--data-dir", dir.path, "--scope", "admin", "--label", "live test"])
            self.key = create.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        process = try ChildProcess(Self.binary.path, ["serve", "--data-dir", dir.path, "--port", "0", "--heartbeat-seconds", "1", "--log-level", "info"] + arguments)
        // The first line on standard output names the bound address.
        guard let line = process.nextLine(timeout: 60), let range = line.range(of: "http://") else {
            throw LiveError("serve printed no address: \(process.errorOutput.suffix(2000))")
        }
        base = String(line[range.lowerBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What the server has written to standard error (its log).
    var log: String { process.errorOutput }

    /// Sends SIGTERM and waits for the exit; returns the seconds it took.
    @discardableResult
    func terminate(timeout: Double = 20) throws -> Double {
        let started = Date()
        try process.terminate(timeout: timeout)
        return Date().timeIntervalSince(started)
    }

    static func run(_ arguments: [String]) throws -> String {
        let r = try ChildProcess.run(binary.path, arguments)
        guard r.succeeded else { throw LiveError("authledger \(arguments.joined(separator: " ")) \(r.termination): \(r.errorOutput)") }
        return r.output
    }

    struct Answer: Sendable {
        let status: Int
        let headers: [String: String]
        let body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        func json() throws -> [String: Any] { try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:] }
    }

    func call(_ method: String, _ path: String, json: String? = nil, form: String? = nil, key: String? = nil,
              headers: [String: String] = [:], useKey: Bool = true) async throws -> Answer {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        request.timeoutInterval = 30
        if useKey { request.setValue("Bearer " + (key ?? self.key), forHTTPHeaderField: "Authorization") }
        if let json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let form {
            request.httpBody = Data(form.utf8)
            request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var h: [String: String] = [:]
        for (k, v) in http.allHeaderFields { h[String(describing: k).lowercased()] = String(describing: v) }
        return Answer(status: http.statusCode, headers: h, body: data)
    }

    /// Reads an event stream that ends by itself (`until`), as (event, id, data) triples.
    func stream(_ query: String, lastEventID: UInt64? = nil) async throws -> [(event: String, id: UInt64, data: String)] {
        let answer = try await call("GET", "/v1/events?" + query, headers: lastEventID.map { ["Last-Event-ID": String($0)] } ?? [:])
        #expect(answer.status == 200, "\(answer.text)")
        return parseSSE(answer.text)
    }
}

func parseSSE(_ text: String) -> [(event: String, id: UInt64, data: String)] {
    text.components(separatedBy: "\n\n").compactMap { block in
        var event = "message", id: UInt64 = 0, data = ""
        for line in block.split(separator: "\n") {
            if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
            if line.hasPrefix("id: ") { id = UInt64(line.dropFirst(4)) ?? 0 }
            if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
        }
        return data.isEmpty ? nil : (event, id, data)
    }
}

struct LiveError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
