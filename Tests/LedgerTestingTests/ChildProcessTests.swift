import Glibc
import LedgerTesting
import Testing

@Suite("Child processes a test starts")
struct ChildProcessTests {
    /// The `SigBlk`/`SigIgn` masks of a running process, from `/proc`.
    func signalMasks(_ pid: pid_t) throws -> (blocked: String, ignored: String) {
        let status = try #require(ChildProcess.run("/bin/cat", ["/proc/\(pid)/status"]).output)
        func field(_ name: String) -> String {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters() } ?? "?"
        }
        return (field("SigBlk"), field("SigIgn"))
    }

    @Test("run returns the exit status, standard output and standard error apart")
    func run() throws {
        let r = try ChildProcess.run("/bin/sh", ["-c", "echo out; echo err >&2; exit 3"])
        #expect(r.termination == .exited(3))
        #expect(!r.succeeded)
        #expect(r.output == "out\n")
        #expect(r.errorOutput == "err\n")
        #expect(try ChildProcess.run("true").succeeded, "looked up in PATH")
        #expect(throws: ChildProcessError.self) { try ChildProcess.run("/nonexistent/program") }
    }

    @Test("started from a Swift concurrency thread, a program blocks and ignores no signal, so SIGTERM ends it")
    func signalsReachTheChild() async throws {
        let child = try ChildProcess("/bin/sleep", ["60"])
        let masks = try signalMasks(child.pid)
        // The standard signals (1–31); glibc keeps two real-time ones for itself.
        #expect(UInt64(masks.blocked, radix: 16).map { $0 & 0x7fff_ffff } == 0, "SigBlk \(masks.blocked)")
        #expect(UInt64(masks.ignored, radix: 16).map { $0 & 0x7fff_ffff } == 0, "SigIgn \(masks.ignored)")
        #expect(try child.terminate(timeout: 10) == .signaled(SIGTERM))
    }

    @Test("what the program started goes with it: the whole process group is killed")
    func groupIsKilled() throws {
        let child = try ChildProcess("/bin/sh", ["-c", "sleep 60 & echo $!; wait"])
        let grandchild = try #require(child.nextLine(timeout: 10).flatMap { pid_t($0) })
        #expect(kill(grandchild, 0) == 0)
        #expect(try child.terminate(timeout: 10) == .signaled(SIGTERM))
        // The grandchild (not reaped by us) is gone or a zombie of its new parent.
        var gone = false
        for _ in 0..<500 where !gone {
            let stat = (try? ChildProcess.run("/bin/cat", ["/proc/\(grandchild)/stat"]).output) ?? ""
            gone = stat.isEmpty || stat.contains(") Z ")
            if !gone { usleep(10_000) }
        }
        #expect(gone)
    }

    @Test("a wait has a deadline: past it the program is killed and the wait throws, naming it")
    func waitDeadline() throws {
        let child = try ChildProcess("/bin/sleep", ["60"])
        let started = Self.seconds()
        #expect {
            try child.wait(timeout: 0.3)
        } throws: { error in
            "\(error)".contains("/bin/sleep 60 did not finish within 0.3 s")
        }
        #expect(Self.seconds() - started < 10)
        #expect(!child.isRunning)
        #expect(kill(child.pid, 0) != 0, "reaped")
    }

    @Test("standard input: given bytes, or a pipe written line by line; output read line by line")
    func input() throws {
        let echoed = try ChildProcess.run("/bin/cat", input: Array("one\ntwo".utf8))
        #expect(echoed.output == "one\ntwo")
        let cat = try ChildProcess("/bin/cat", input: .pipe)
        cat.write("first\n")
        #expect(cat.nextLine(timeout: 10) == "first")
        cat.write("second\nthird\n")
        #expect(cat.nextLine(timeout: 10) == "second")
        #expect(cat.nextLine(timeout: 10) == "third")
        #expect(cat.nextLine(timeout: 0.1) == nil, "nothing more yet")
        cat.closeInput()
        #expect(try cat.wait(timeout: 10) == .exited(0))
        #expect(cat.nextLine(timeout: 1) == nil)
    }

    @Test("a program that writes megabytes to standard error is drained, not blocked")
    func chattyProgram() throws {
        let r = try ChildProcess.run("/bin/sh", ["-c", "head -c 2000000 /dev/zero >&2; echo done"], timeout: 60)
        #expect(r.succeeded)
        #expect(r.errorOutput.utf8.count == 2_000_000)
        #expect(r.output == "done\n")
    }

    @Test("environment variables are added to this process's")
    func environment() throws {
        let r = try ChildProcess.run("/bin/sh", ["-c", "echo $AUTHLEDGER_CHILD_TEST:${PATH:+path}"], environment: ["AUTHLEDGER_CHILD_TEST": "yes"])
        #expect(r.output == "yes:path\n")
    }

    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
