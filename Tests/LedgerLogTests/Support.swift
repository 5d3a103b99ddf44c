import LedgerCodec
import LedgerLog
import LedgerTesting

func rotation(_ user: String, generation: UInt32, session: SessionID = SessionID(high: 1, low: 2)) -> PendingEvent {
    AuthEvent.refreshRotated(RefreshRotated(session: session, generation: generation, ip: .v4(0x0a00_0001))).pending(user: user)
}

func openLog(_ dir: TemporaryDirectory, durable: Bool = false, mapSize: Int? = nil, clock: any LedgerClock = SystemClock()) throws -> EventLog {
    var config = durable ? LogConfiguration() : LogConfiguration.unsafeFast(clock: clock)
    config.clock = clock
    if let mapSize { config.initialMapSize = mapSize }
    return try EventLog(directory: dir.appending("data"), configuration: config)
}

/// A read-only open of the log `openLog` writes, as the CLI's readers do.
func openReader(_ dir: TemporaryDirectory) throws -> EventLog {
    var config = LogConfiguration()
    config.readOnly = true
    return try EventLog(directory: dir.appending("data"), configuration: config)
}

func allRecords(_ log: EventLog) throws -> [EventRecord] {
    var out: [EventRecord] = []
    try log.scan { out.append($0.materialize()); return true }
    return out
}
