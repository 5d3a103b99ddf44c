import Glibc
import Synchronization

/// A program a test starts (a server, a Python client, a harness) that cannot outlive the
/// test, and whose every wait is bounded.
///
/// Foundation's `Process` falls short here in four ways, each of which once left a CI run
/// waiting until it was killed:
/// - its child inherits the spawning thread's signal mask, and a Swift concurrency thread
///   blocks SIGTERM, so `terminate()` is ignored by programs (Python) that keep the mask;
///   this type starts every program with no signal blocked and default dispositions;
/// - it kills only the program, not what that program started (a harness's servers); this
///   type gives each program a process group of its own and kills the group;
/// - its waits (`waitUntilExit`, `readDataToEndOfFile`) have no deadline; here every wait
///   has one, after which the group is killed and the wait throws;
/// - if the test process crashes, its children run on, holding output pipes open; here a
///   watchdog process kills every group still registered once the test process is gone.
///
/// Standard output and standard error are always pipes that reader threads drain (a chatty
/// server never blocks on a full pipe); standard input is `/dev/null` unless asked for.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `pid` and the descriptors are set in init; everything that changes
    // afterwards is behind `state` or the output buffers' own locks.

    /// What the program reads on standard input.
    public enum Input: Sendable {
        /// `/dev/null`.
        case none
        /// These bytes, then end of file.
        case bytes([UInt8])
        /// A pipe written with ``write(_:)`` and ended with ``closeInput()``.
        case pipe
    }

    /// How a program ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        case exited(Int32)
        case signaled(Int32)

        public var description: String {
            switch self {
            case let .exited(code): "exited with status \(code)"
            case let .signaled(signal): "killed by signal \(signal)"
            }
        }
    }

    /// Everything a finished program printed.
    public struct Result: Sendable {
        public var termination: Termination
        public var output: String
        public var errorOutput: String
        public var succeeded: Bool { termination == .exited(0) }
    }

    public let pid: pid_t
    /// The program and its arguments, for messages.
    public let commandLine: String
    private let stdout = OutputBuffer()
    private let stderr = OutputBuffer()
    private let input: Mutex<Int32>  // -1 once closed
    private let state = Mutex<(termination: Termination?, lineCursor: Int)>((nil, 0))

    /// Starts `program` (looked up in `PATH` unless it contains a slash) with `arguments`.
    /// - Parameter environment: variables set on top of this process's environment.
    public init(_ program: String, _ arguments: [String] = [], environment: [String: String] = [:], input: Input = .none) throws {
        commandLine = ([program] + arguments).joined(separator: " ")
        let spawned = try Spawner.spawn([program] + arguments, environment: environment, pipeInput: input.wantsPipe)
        pid = spawned.pid
        self.input = Mutex(spawned.input)
        Watchdog.register(pid)
        OutputBuffer.drain(spawned.output, into: stdout)
        OutputBuffer.drain(spawned.error, into: stderr)
        if case let .bytes(bytes) = input {
            write(bytes)
            closeInput()
        }
    }

    /// Starts `program`, waits for it (at most `timeout` seconds) and returns what it printed.
    public static func run(_ program: String, _ arguments: [String] = [], environment: [String: String] = [:],
                           input: [UInt8]? = nil, timeout: Double = 120) throws -> Result {
        let child = try ChildProcess(program, arguments, environment: environment, input: input.map { .bytes($0) } ?? .none)
        let termination = try child.wait(timeout: timeout)
        return Result(termination: termination, output: child.output, errorOutput: child.errorOutput)
    }

    deinit {
        killGroup()
        _ = reap(blocking: true)
        input.withLock { fd in if fd >= 0 { close(fd); fd = -1 } }
        Watchdog.unregister(pid)
    }

    // MARK: Output

    /// Standard output so far.
    public var output: String { String(decoding: stdout.bytes, as: UTF8.self) }
    /// Standard error so far.
    public var errorOutput: String { String(decoding: stderr.bytes, as: UTF8.self) }

    /// The next line of standard output not yet returned by this method (without its
    /// newline), waiting at most `timeout` seconds; nil if the output ended or time ran out.
    public func nextLine(timeout: Double = 60) -> String? {
        let deadline = Deadline(seconds: timeout)
        while true {
            let (bytes, ended) = stdout.snapshot
            let cursor = state.withLock { $0.lineCursor }
            if let end = bytes[cursor...].firstIndex(of: UInt8(ascii: "\n")) {
                state.withLock { $0.lineCursor = end + 1 }
                return String(decoding: bytes[cursor..<end], as: UTF8.self)
            }
            if ended || deadline.passed { return nil }
            usleep(2_000)
        }
    }

    // MARK: Input

    /// Writes to standard input (started with ``Input/pipe``).
    public func write(_ text: String) { write(Array(text.utf8)) }

    /// Writes to standard input (started with ``Input/pipe``).
    public func write(_ bytes: [UInt8]) {
        input.withLock { fd in
            guard fd >= 0 else { return }
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }  // the program stopped reading; it will say so when it exits
                offset += n
            }
        }
    }

    /// Ends standard input.
    public func closeInput() {
        input.withLock { fd in if fd >= 0 { close(fd); fd = -1 } }
    }

    // MARK: Ending

    /// Whether the program is still running.
    public var isRunning: Bool { reap(blocking: false) == nil }

    /// Waits for the program to end, at most `timeout` seconds; then kills it and its group
    /// and throws. Once it has ended, anything left in its group is killed too and the
    /// output is read to its end.
    @discardableResult
    public func wait(timeout: Double = 120) throws -> Termination {
        let deadline = Deadline(seconds: timeout)
        while true {
            if let termination = reap(blocking: false) {
                awaitOutput()
                return termination
            }
            if deadline.passed {
                killGroup()
                _ = reap(blocking: true)
                throw ChildProcessError("\(commandLine) did not finish within \(timeout) s and was killed; its error output: \(errorOutput.suffix(2000))")
            }
            usleep(5_000)
        }
    }

    /// Sends SIGTERM and waits at most `timeout` seconds for the program to end (then kills
    /// its group and throws). Returns how it ended.
    @discardableResult
    public func terminate(timeout: Double = 20) throws -> Termination {
        signal(SIGTERM)
        return try wait(timeout: timeout)
    }

    /// Sends `signal` to the program itself.
    public func signal(_ signal: Int32) {
        if state.withLock({ $0.termination == nil }) { Glibc.kill(pid, signal) }
    }

    /// SIGKILL to the program's whole process group.
    private func killGroup() {
        // The group's id is the program's pid, reserved until the program is reaped (and
        // `reap` kills what is left of the group before it reaps).
        if state.withLock({ $0.termination == nil }) { Glibc.kill(-pid, SIGKILL) }
    }

    /// The termination, reaping the program if it has ended (or, if `blocking`, once it has).
    /// Kills what is left of its group first, while its pid still names that group.
    private func reap(blocking: Bool) -> Termination? {
        state.withLock { s -> Termination? in
            if let t = s.termination { return t }
            var info = siginfo_t()
            let flags = WEXITED | WNOWAIT | (blocking ? 0 : WNOHANG)
            while waitid(P_PID, id_t(pid), &info, flags) != 0 {
                if errno != EINTR { return nil }
            }
            guard info._sifields._sigchld.si_pid == pid else { return nil }
            Glibc.kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let t: Termination = status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signaled(status & 0x7f)
            s.termination = t
            return t
        }
    }

    /// Once the program has ended, its output ends as soon as the pipes are drained.
    private func awaitOutput() {
        let deadline = Deadline(seconds: 10)
        while !(stdout.snapshot.ended && stderr.snapshot.ended) && !deadline.passed { usleep(1_000) }
    }
}

/// Why a child process could not be started or did not finish.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

private extension ChildProcess.Input {
    var wantsPipe: Bool {
        if case .none = self { return false }
        return true
    }
}

private struct Deadline {
    let end: Double
    init(seconds: Double) { end = Self.now + seconds }
    var passed: Bool { Self.now >= end }
    static var now: Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Bytes read from one of a child's pipes by a thread of its own, until end of file.
private final class OutputBuffer: Sendable {
    private let state = Mutex<(bytes: [UInt8], ended: Bool)>(([], false))

    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var snapshot: (bytes: [UInt8], ended: Bool) { state.withLock { ($0.bytes, $0.ended) } }

    static func drain(_ fd: Int32, into buffer: OutputBuffer) {
        let context = Unmanaged.passRetained(Reader(fd: fd, buffer: buffer)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { context in
            Unmanaged<Reader>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        precondition(started == 0, "cannot start a reader thread: \(String(cString: strerror(started)))")
        pthread_detach(thread)
    }

    private final class Reader {
        let fd: Int32
        let buffer: OutputBuffer
        init(fd: Int32, buffer: OutputBuffer) { (self.fd, self.buffer) = (fd, buffer) }

        func run() {
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                buffer.state.withLock { $0.bytes += chunk[..<n] }
            }
            close(fd)
            buffer.state.withLock { $0.ended = true }
        }
    }
}

/// `posix_spawn` with the settings ``ChildProcess`` promises.
private enum Spawner {
    /// Serialises spawns, so a pipe made for one child is close-on-exec before another
    /// child can be started and inherit it.
    static let lock = Mutex(())

    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc ≥ 2.34 closes every descriptor above 2 in the child (not exported to Swift).
    static let closeFrom: CloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }

    struct Spawned {
        var pid: pid_t
        var input: Int32
        var output: Int32
        var error: Int32
    }

    static func spawn(_ argv: [String], environment: [String: String], pipeInput: Bool) throws -> Spawned {
        try lock.withLock { _ in
            var created: [Int32] = []
            func makePipe() throws -> (read: Int32, write: Int32) {
                var fds: [Int32] = [0, 0]
                guard pipe(&fds) == 0 else { throw ChildProcessError("pipe: \(String(cString: strerror(errno)))") }
                for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
                created += fds
                return (fds[0], fds[1])
            }
            do {
                let stdinPipe = pipeInput ? try makePipe() : nil
                let out = try makePipe(), err = try makePipe()
                let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
                defer { close(null) }

                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_adddup2(&actions, stdinPipe?.read ?? null, 0)
                posix_spawn_file_actions_adddup2(&actions, out.write, 1)
                posix_spawn_file_actions_adddup2(&actions, err.write, 2)
                if let closeFrom { _ = closeFrom(&actions, 3) }

                var attributes = posix_spawnattr_t()
                posix_spawnattr_init(&attributes)
                defer { posix_spawnattr_destroy(&attributes) }
                var none = sigset_t()
                sigemptyset(&none)
                posix_spawnattr_setsigmask(&attributes, &none)
                var all = sigset_t()
                sigfillset(&all)
                sigdelset(&all, SIGKILL)
                sigdelset(&all, SIGSTOP)
                posix_spawnattr_setsigdefault(&attributes, &all)
                posix_spawnattr_setpgroup(&attributes, 0)
                posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

                var variables: [String: String] = [:]
                var entry = environ
                while let pair = entry.pointee {
                    let text = String(cString: pair)
                    if let eq = text.firstIndex(of: "=") { variables[String(text[..<eq])] = String(text[text.index(after: eq)...]) }
                    entry += 1
                }
                variables.merge(environment) { $1 }
                let cArguments = argv.map { strdup($0) } + [nil]
                let cEnvironment = variables.map { strdup("\($0)=\($1)") } + [nil]
                defer { for p in cArguments + cEnvironment { free(p) } }

                var pid: pid_t = 0
                let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArguments, cEnvironment)
                guard rc == 0 else { throw ChildProcessError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
                // The child's ends, now that it has them.
                if let stdinPipe { close(stdinPipe.read) }
                close(out.write)
                close(err.write)
                return Spawned(pid: pid, input: stdinPipe?.write ?? -1, output: out.read, error: err.read)
            } catch {
                for fd in created { close(fd) }
                throw error
            }
        }
    }
}

/// One process per test run that outlives nothing: it waits for the test process to end,
/// however it ends, then kills every child process group still registered.
private enum Watchdog {
    static let state = Mutex<(file: String?, groups: Set<pid_t>)>((nil, []))

    static func register(_ group: pid_t) {
        state.withLock { s in
            if s.file == nil { s.file = start() }
            s.groups.insert(group)
            write(s)
        }
    }

    static func unregister(_ group: pid_t) {
        state.withLock { s in
            s.groups.remove(group)
            write(s)
        }
    }

    private static func write(_ s: (file: String?, groups: Set<pid_t>)) {
        guard let file = s.file else { return }
        let text = s.groups.map(String.init).joined(separator: "\n") + "\n"
        let temporary = file + ".new"
        guard let f = fopen(temporary, "w") else { return }
        fputs(text, f)
        fclose(f)
        rename(temporary, file)
    }

    /// Starts the watchdog (a bash loop, itself in a group of its own, reading nothing and
    /// writing nowhere: bash, because dash's `kill` cannot name a group); returns the file
    /// it reads the groups from.
    private static func start() -> String? {
        let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        let file = "\(base)/authledger-test-children.\(getpid())"
        let script = """
            while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done
            if [ -f '\(file)' ]; then for g in $(cat '\(file)'); do kill -KILL -- -"$g" 2>/dev/null; done; fi
            rm -f '\(file)' '\(file).new'
            """
        guard let spawned = try? Spawner.spawn(["/bin/bash", "-c", script], environment: [:], pipeInput: false) else { return nil }
        // Nobody reads its (empty) output; the pipes close when it exits.
        close(spawned.output)
        close(spawned.error)
        return file
    }
}
