import LedgerCodec
import LedgerLog
import LedgerTokens

/// Why the engine refused a command or a token. Match on ``kind``; ``message`` explains it
/// to a person.
public struct EngineError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The refresh token is malformed or forged. Nothing was revoked or logged.
        case invalidRefreshToken
        /// No such session (never existed, or expired and forgotten).
        case sessionNotFound
        /// The session's lifetime, inactivity timeout or absolute cap has passed.
        case sessionExpired
        /// The session was ended or revoked.
        case sessionRevoked
        /// A genuinely issued but stale refresh token: the session has now been revoked.
        case refreshTokenReused(ReuseClassification)
        /// The user is banned; no new sessions until unbanned.
        case userBanned
        /// The user was forgotten (``AuthEngine/forget(user:actor:)``): the id is retired
        /// and never logs in again. Use a new user id for the person.
        case userForgotten
        /// The access token failed verification.
        case invalidAccessToken(TokenCheck)
        /// A request field is empty, too long or otherwise unusable.
        case invalidRequest
        /// The log could not make the change durable; nothing changed.
        case storage
        /// The engine is shutting down: the command was not taken (nothing changed), or a
        /// tail ended. Retry against the next instance.
        case shuttingDown
        /// A key file in `keys/` is unusable (unreadable, corrupt, encrypted, readable by
        /// others, misnamed). The engine did not start, and no key was created or replaced.
        case keyFile(path: String)
        /// A directory of the data directory (`keys/`, `snapshots/`) could let someone else
        /// plant or replace files: writable by others, a symbolic link, or not owned by the
        /// user running the engine. The engine did not start.
        case unsafeDirectory(path: String)
        /// A configuration value cannot be used (such as a log origin with a space in it).
        /// The engine did not start.
        case invalidConfiguration
        /// The log does not extend its last signed checkpoint (it is shorter, or its tree
        /// differs: restored from an older backup, or changed), so no checkpoint was
        /// signed. An operator must find out why before the log signs again.
        case checkpointRefused
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
