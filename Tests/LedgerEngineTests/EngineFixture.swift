import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens

/// An engine on a temporary data directory with a manual clock and an unsynced log.
struct EngineFixture {
    let dir = TemporaryDirectory()
    let clock = ManualClock()
    var configuration: EngineConfiguration

    init(_ adjust: (inout EngineConfiguration) -> Void = { _ in }) {
        var c = EngineConfiguration()
        c.log = .unsafeFast()
        c.clock = clock
        adjust(&c)
        configuration = c
    }

    func open() async throws -> AuthEngine { try await AuthEngine.open(dataDirectory: dir.path, configuration: configuration) }

    static let phone = Device(label: "iPhone", userAgent: "Safari/17", ip: IPAddress("198.51.100.7")!)
    static let laptop = Device(label: "Chrome on macOS", userAgent: "Chrome/131", ip: IPAddress("203.0.113.20")!)

    /// Every event in the log, decoded.
    static func events(_ engine: AuthEngine) throws -> [LoggedEvent] {
        var out: [LoggedEvent] = []
        try engine.log.scan { out.append(try LoggedEvent(view: $0)); return true }
        return out
    }

    static func count(_ engine: AuthEngine, where match: (AuthEvent) -> Bool) throws -> Int {
        try events(engine).filter { match($0.event) }.count
    }
}

extension AuthEvent {
    var isReuse: Bool { if case .refreshReuseDetected = self { true } else { false } }
    var isRevocation: Bool { if case .sessionRevoked = self { true } else { false } }
    var flag: SuspicionRule? { if case let .suspiciousActivity(f) = self { f.rule } else { nil } }
}

/// Runs an engine call and keeps its typed error.
func attempt<T>(_ body: () async throws(EngineError) -> T) async -> Result<T, EngineError> {
    do { return .success(try await body()) } catch { return .failure(error) }
}
