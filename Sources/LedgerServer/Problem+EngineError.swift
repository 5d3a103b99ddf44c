import Hummingbird
import LedgerEngine

extension Problem {
    /// The engine's refusal as a problem document: one stable `type` per ``EngineError/Kind``.
    /// Token failures get a fixed detail: the engine's message may describe the token.
    init(_ error: EngineError) {
        switch error.kind {
        case .invalidRefreshToken:
            self.init(.unauthorized, "invalid-refresh-token", "The refresh token is not valid",
                      detail: "the refresh token is malformed or was not issued by this service; log in again")
        case .sessionNotFound:
            self.init(.notFound, "session-not-found", "No such session",
                      detail: "the session does not exist, or it expired and was forgotten")
        case .sessionExpired:
            self.init(.unauthorized, "session-expired", "The session has expired", detail: "log in again")
        case .sessionRevoked:
            self.init(.unauthorized, "session-revoked", "The session was ended or revoked", detail: "log in again")
        case let .refreshTokenReused(classification):
            self.init(.unauthorized, "refresh-token-reused", "The refresh token was already used",
                      detail: "a stale refresh token was presented (\(classification)); the session has been revoked; log in again")
        case .userBanned:
            self.init(.forbidden, "user-banned", "The user is banned", detail: "no session can be opened until the user is unbanned")
        case .userForgotten:
            self.init(.forbidden, "user-forgotten", "The user was forgotten",
                      detail: "the user's data was erased and the id is retired; it cannot log in again")
        case let .invalidAccessToken(check):
            self.init(.unauthorized, "invalid-access-token", "The access token is not valid", detail: "the access token failed the \(check) check")
        case .invalidRequest:
            self.init(.badRequest, "invalid-request", "The request is not valid", detail: error.message)
        case .storage:
            self.init(.serviceUnavailable, "storage", "The change could not be made durable",
                      detail: "nothing changed; retry, and if it persists an operator should check the data directory's disk")
        case .shuttingDown:
            self = .shuttingDown
        case .keyFile, .unsafeDirectory, .invalidConfiguration:
            self = .internalError
        case .checkpointRefused:
            self.init(.internalServerError, "checkpoint-refused", "The log does not extend its last checkpoint",
                      detail: "no checkpoint was signed; an operator must check the data directory (see docs/PROOFS.md)")
        }
    }
}
