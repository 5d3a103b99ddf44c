import Foundation
import LedgerTesting
import Testing

/// The fault tools in tools/ against the built `authledger`, in short runs; their long runs
/// are recorded in docs/FAULTS.md.
@Suite("Fault tools", .serialized)
struct FaultToolTests {
    /// Runs a tool under tools/ with python3 (killed, with all it started, after ten
    /// minutes); returns its exit status and what it printed (output, then errors).
    static func python(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let r = try ChildProcess.run("python3", [LiveServer.repository.appendingPathComponent("tools/" + tool).path] + arguments, timeout: 600)
        return (r.succeeded ? 0 : 1, r.output + r.errorOutput + (r.succeeded ? "" : "\n\(tool) \(r.termination)"))
    }

    @Test("tools/crash-harness.py: three SIGKILLs under load lose no answered command; the chain, the digests and the subscriber hold")
    func crashHarness() throws {
        let (status, output) = try Self.python("crash-harness.py", ["--binary", LiveServer.binary.path, "--trials", "3", "--workers", "3",
                                                                   "--min-delay", "0.3", "--max-delay", "1.0"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("3 trials passed"), "\(output)")
    }

    @Test("tools/hostile-clients.py: 1,000 idle connections, slow heads and bodies, huge heads and a subscriber that never reads do not stop others being served, and each is cut off by its limit")
    func hostileClients() throws {
        let server = try LiveServer(arguments: ["--idle-timeout-seconds", "2", "--write-timeout-seconds", "2", "--rate-limit-per-minute", "0"])
        defer { _ = try? server.terminate() }
        let (status, output) = try Self.python("hostile-clients.py", ["--url", server.base, "--key", server.key, "--idle", "1000", "--slow", "10",
                                                                     "--idle-timeout", "2", "--write-timeout", "2", "--max-latency", "3"])
        #expect(status == 0, "\(output)\n\(server.log.suffix(3000))")
        #expect(output.contains("all checks passed"), "\(output)")
    }
}
