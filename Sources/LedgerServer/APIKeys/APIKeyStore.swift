import LedgerCodec
import LedgerCrypto
import LedgerLog
import Synchronization

/// One API key as the store knows it: never its secret.
public struct APIKeyRecord: Sendable, Equatable {
    public let keyID: String
    public let scopes: Set<Scope>
    public let label: String
    public let createdAt: Timestamp
    public var revokedAt: Timestamp?
    let secretHash: SHA256Digest

    public func allows(_ scope: Scope) -> Bool { revokedAt == nil && (scopes.contains(scope) || scopes.contains(.admin)) }
}

/// The API keys: a projection of `apikey.created` and `apikey.revoked` events, replayed at
/// start through the log's index of global records and updated as this process appends.
public final class APIKeyStore: Sendable {
    private let keys = Mutex<[String: APIKeyRecord]>([:])

    public init() {}

    /// The keys recorded in `log`, read through its global index (no scan of user events).
    public static func replay(_ log: EventLog) throws -> APIKeyStore {
        let store = APIKeyStore()
        try log.scanGlobal { view in
            if view.type == EventType.apiKeyCreated.rawValue || view.type == EventType.apiKeyRevoked.rawValue {
                store.apply(try AuthEvent(decoding: view), at: view.timestamp)
            }
            return true
        }
        return store
    }

    /// Applies one event; others are ignored, and so is a second creation of a key id
    /// (replay never stops on one record, and never lets a record replace a key's hash).
    public func apply(_ event: AuthEvent, at time: Timestamp) {
        keys.withLock { keys in
            switch event {
            case let .apiKeyCreated(e):
                guard keys[e.keyID] == nil else { return }
                keys[e.keyID] = APIKeyRecord(keyID: e.keyID, scopes: Set(e.scopes.compactMap(Scope.init(rawValue:))),
                                             label: e.label, createdAt: time, revokedAt: nil, secretHash: e.secretHash)
            case let .apiKeyRevoked(e):
                if keys[e.keyID]?.revokedAt == nil { keys[e.keyID]?.revokedAt = time }
            default:
                return
            }
        }
    }

    /// The live key a presented text names, if its secret matches (compared in constant time).
    public func authenticate(_ text: String) -> APIKeyRecord? {
        guard let presented = APIKeySecret(parsing: text) else { return nil }
        let hash = presented.secretHash
        guard let record = keys.withLock({ $0[presented.keyID] }), record.revokedAt == nil,
              record.secretHash.constantTimeEquals(hash) else { return nil }
        return record
    }

    public func key(_ id: String) -> APIKeyRecord? { keys.withLock { $0[id] } }

    /// Every key, oldest first.
    public var all: [APIKeyRecord] { keys.withLock { Array($0.values) }.sorted { ($0.createdAt, $0.keyID) < ($1.createdAt, $1.keyID) } }
}

extension APIKeyStore {
    /// The events that create a key with these scopes; the caller appends them, then shows
    /// the secret once.
    public static func creation(scopes: Set<Scope>, label: String) -> (secret: APIKeySecret, event: AuthEvent) {
        let secret = APIKeySecret.generate()
        let event = AuthEvent.apiKeyCreated(APIKeyCreated(keyID: secret.keyID, scopes: scopes.sorted().map(\.rawValue),
                                                          label: label, secretHash: secret.secretHash))
        return (secret, event)
    }
}
