import LedgerCodec
import LedgerLog

/// Reveals the sealed personal fields of a data directory, for whoever shows them: the
/// engine's queries and history, and the command-line tools. Without a user's key (the
/// user was forgotten) every such field reads as erased.
public final class PersonalDataReader: Sendable {
    let vault: UserKeyVault?
    let log: EventLog

    init(vault: UserKeyVault?, log: EventLog) {
        self.vault = vault
        self.log = log
    }

    /// Opens the keys of `dataDirectory` for reading (no key is ever created). A missing or
    /// wrong master key, while user keys exist, throws an error naming the file; a
    /// directory where no user has a key yet needs no master key.
    public static func open(dataDirectory: String, log: EventLog) throws -> PersonalDataReader {
        if try log.userKeys().isEmpty && MasterKey.ids(in: dataDirectory).isEmpty {
            return PersonalDataReader(vault: nil, log: log)
        }
        return PersonalDataReader(vault: try UserKeyVault.open(dataDirectory: dataDirectory, log: log, create: false), log: log)
    }

    /// The user's key, nil if the user has none (forgotten, or never had one). A read
    /// error also gives nil: showing a field as erased is safer than failing an audit.
    func key(for user: String) -> UserDataKey? { (try? vault?.key(for: user)) ?? nil }

    /// The event with its sealed fields revealed (``PersonalText/erased`` without a key).
    public func reveal(_ logged: LoggedEvent) -> LoggedEvent {
        guard logged.event.hasSealedFields, let user = logged.user else { return logged }
        var out = logged
        out.event = logged.event.revealed(with: key(for: user))
        return out
    }

    /// The session as its user sees it: the last address revealed, and for a sealed
    /// login, the label and user agent read from the login record and revealed.
    func info(_ s: SessionRecord, current: SessionID?) -> SessionInfo {
        let key = s.lastIP.isSealed || s.device == nil ? key(for: s.user) : nil
        let ip = FieldCipher.lastAddress(key, s.id, generation: s.generation).reveal(s.lastIP, at: FieldCipher.Slot.address)
        var label = PersonalText.clear(s.device?.label ?? ""), userAgent = PersonalText.clear(s.device?.userAgent ?? "")
        if s.device == nil {
            if let record = try? log.record(at: s.loginPosition), let logged = try? LoggedEvent(record),
               case let .sessionStarted(e) = logged.event.revealed(with: key), e.session == s.id {
                (label, userAgent) = (e.label, e.userAgent)
            } else {
                (label, userAgent) = (.erased, .erased)
            }
        }
        return SessionInfo(s, label: label, userAgent: userAgent, ip: ip, current: current)
    }
}
