import LedgerEngine
import LedgerCodec
import LedgerLog

/// A reference model of the session rules, written from `docs/SESSIONS.md` alone (not from
/// the engine's code): what every command answers and every query returns, given the
/// history of commands and the time. The model-based test drives it and the engine side by
/// side and compares every answer.
struct SessionModel {
    struct Config {
        var lifetimes: SessionLifetimes
        var grace: Int64
        var leeway: Int64
        var maxSessionsPerUser: Int?
    }

    struct Session {
        let id: SessionID
        let user: [UInt8]
        let createdAt: Timestamp
        var rotatedAt: Timestamp
        var generation: UInt32
        /// Set when the session is ended (logout, revocation, logout-all, ban, limit, reuse).
        var refuseUntil: Timestamp?
    }

    enum Standing: Equatable { case active, expired, ended, unknown }

    enum Outcome: Equatable, CustomStringConvertible {
        case ok
        case failed(EngineError.Kind)
        var description: String {
            switch self {
            case .ok: "ok"
            case let .failed(k): "failed(\(k))"
            }
        }
    }

    let config: Config
    private(set) var sessions: [Session] = []
    private(set) var banned: Set<[UInt8]> = []

    init(_ config: Config) { self.config = config }

    func index(_ id: SessionID) -> Int? { sessions.firstIndex { $0.id == id } }

    /// "the earliest of login + cap, last rotation + refresh lifetime and last rotation + inactivity"
    func expiry(_ s: Session) -> Timestamp {
        let l = config.lifetimes
        return min(s.createdAt.adding(seconds: Int64(l.absolute)),
                   s.rotatedAt.adding(seconds: Int64(min(l.refreshToken, l.idleTimeout))))
    }

    /// "⌊min(t, expiry)⌋ + access-token lifetime + leeway + 1 s"
    func refusalEnd(endedAt t: Timestamp, _ s: Session) -> Timestamp {
        Timestamp(seconds: min(t, expiry(s)).seconds + Int64(config.lifetimes.accessToken) + config.leeway + 1)
    }

    func standing(_ id: SessionID, at now: Timestamp) -> Standing {
        guard let s = index(id).map({ sessions[$0] }) else { return .unknown }
        if let until = s.refuseUntil { return now < until ? .ended : .unknown }
        if now < expiry(s) { return .active }
        return now < refusalEnd(endedAt: expiry(s), s) ? .expired : .unknown
    }

    /// The user's active sessions, in the order they were opened.
    func active(of user: [UInt8], at now: Timestamp) -> [SessionID] {
        sessions.filter { $0.user == user && standing($0.id, at: now) == .active }.map(\.id)
    }

    private mutating func end(_ i: Int, at now: Timestamp) {
        sessions[i].refuseUntil = refusalEnd(endedAt: now, sessions[i])
    }

    /// Ends every session of `user` that is active or expired-but-remembered.
    private mutating func endAll(of user: [UInt8], except: SessionID?, at now: Timestamp) {
        for i in sessions.indices where sessions[i].user == user && sessions[i].id != except {
            let st = standing(sessions[i].id, at: now)
            if st == .active || st == .expired { end(i, at: now) }
        }
    }

    // MARK: Commands

    /// A login the engine answered with `id` (nil if it refused).
    mutating func login(user: [UInt8], at now: Timestamp, id: SessionID?) -> Outcome {
        if banned.contains(user) { return .failed(.userBanned) }
        guard let id else { return .ok }  // the caller reports the mismatch
        sessions.append(Session(id: id, user: user, createdAt: now, rotatedAt: now, generation: 1))
        if let limit = config.maxSessionsPerUser.map({ max($0, 1) }) {
            let act = active(of: user, at: now)
            if act.count > limit {
                for old in act.filter({ $0 != id }).prefix(act.count - limit) { end(index(old)!, at: now) }
            }
        }
        return .ok
    }

    enum RefreshAnswer: Equatable {
        /// A rotation to this new generation.
        case rotated(UInt32)
        /// A retry within the grace window: the current generation again.
        case retried(UInt32)
        case failed(EngineError.Kind)
    }

    /// What the rotation table says about presenting generation `g` of `id` now.
    func classify(_ id: SessionID, generation g: UInt32, at now: Timestamp) -> RefreshAnswer {
        switch standing(id, at: now) {
        case .expired: return .failed(.sessionExpired)
        case .ended: return .failed(.sessionRevoked)
        case .unknown: return .failed(.sessionNotFound)
        case .active: break
        }
        let s = sessions[index(id)!]
        let c = s.generation
        if g == c { return .rotated(c + 1) }
        if g + 1 == c && now < s.rotatedAt.adding(seconds: config.grace) { return .retried(c) }
        let kind: ReuseClassification = g > c ? .orphanedBranch : (g + 1 == c ? .recentPredecessor : .staleLineage)
        return .failed(.refreshTokenReused(kind))
    }

    mutating func refresh(_ id: SessionID, generation g: UInt32, at now: Timestamp) -> RefreshAnswer {
        let answer = classify(id, generation: g, at: now)
        switch answer {
        case let .rotated(n):
            let i = index(id)!
            sessions[i].generation = n
            sessions[i].rotatedAt = now
        case .failed(.refreshTokenReused):
            end(index(id)!, at: now)
        default:
            break
        }
        return answer
    }

    mutating func endOne(_ id: SessionID, at now: Timestamp) -> Outcome {
        switch standing(id, at: now) {
        case .active, .expired:
            end(index(id)!, at: now)
            return .ok
        case .ended: return .ok
        case .unknown: return .failed(.sessionNotFound)
        }
    }

    mutating func logoutAll(user: [UInt8], except: SessionID?, at now: Timestamp) -> Outcome {
        endAll(of: user, except: except, at: now)
        return .ok
    }

    mutating func ban(user: [UInt8], at now: Timestamp) -> Outcome {
        banned.insert(user)
        endAll(of: user, except: nil, at: now)
        return .ok
    }

    mutating func unban(user: [UInt8]) -> Outcome {
        banned.remove(user)
        return .ok
    }

    // MARK: Queries

    /// `isRevoked`: "ended or revoked, while one of its tokens could be valid".
    func isRevoked(_ id: SessionID, at now: Timestamp) -> Bool { standing(id, at: now) == .ended }

    /// The `exp` an access token issued now for `id` carries: issue second + lifetime, but
    /// never past the session's expiry.
    func accessTokenExpiry(_ id: SessionID, at now: Timestamp) -> Int64 {
        let s = sessions[index(id)!]
        return min(now.seconds + Int64(config.lifetimes.accessToken), expiry(s).seconds)
    }

    /// Whether an access token of `id` expiring at `exp` verifies now: "⌊now⌋ ≤ exp + leeway",
    /// and the session was not ended, revoked or expired.
    func accessTokenVerifies(_ id: SessionID, exp: Int64, at now: Timestamp) -> Bool {
        let st = standing(id, at: now)
        return now.seconds <= exp + config.leeway && st != .ended && st != .expired
    }

    /// `refreshTokenStatus` of generation `g`.
    func status(_ id: SessionID, generation g: UInt32, at now: Timestamp) -> RefreshTokenStatus {
        switch classify(id, generation: g, at: now) {
        case .rotated: return .current
        case .retried: return .withinGrace
        case let .failed(.refreshTokenReused(kind)): return .reused(kind)
        case let .failed(kind): return .invalid(kind)
        }
    }
}
