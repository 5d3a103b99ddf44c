import Glibc
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

func fileMode(_ path: String) -> mode_t? {
    var st = stat()
    return stat(path, &st) == 0 ? st.st_mode & 0o777 : nil
}

@Suite("Key ring")
struct KeyRingTests {
    let dir = TemporaryDirectory()
    let clock = ManualClock()

    func open() async throws -> (EventLog, KeyRing) {
        let log = try EventLog(directory: dir.path, configuration: .unsafeFast(clock: clock))
        return (log, try await KeyRing(dataDirectory: dir.path, log: log, clock: clock))
    }

    func keyEvents(_ log: EventLog) throws -> [AuthEvent] {
        try log.read(from: 1, limit: 1000).map { try LoggedEvent($0).event }
    }

    @Test("a new data directory gets an ES256 signing key, logged with its public part only, stored owner-only")
    func firstKey() async throws {
        let (log, ring) = try await open()
        let key = ring.signingKey
        #expect(key.algorithm == .es256)
        #expect(ring.jwks.kids == [key.kid])
        let events = try keyEvents(log)
        #expect(events.count == 2)
        guard case let .signingKeyAdded(added) = events[0], case let .signingKeyActivated(activated) = events[1] else {
            Issue.record("unexpected events \(events)"); return
        }
        #expect(added.kid == key.kid && activated.kid == key.kid && added.algorithm == "ES256")
        #expect(!added.publicJWK.contains("\"d\""))
        #expect(fileMode(dir.path + "/keys") == 0o700)
        #expect(fileMode(dir.path + "/keys/\(key.kid).pem") == 0o600)
        #expect(fileMode(dir.path + "/keys/refresh-1.key") == 0o600)
    }

    @Test("reopening keeps the same keys and logs nothing new")
    func reopen() async throws {
        var kid = "", refresh = ""
        do {
            let (_, ring) = try await open()
            kid = ring.signingKey.kid
            refresh = ring.refreshTokens.token(session: [UInt8](repeating: 7, count: 16), generation: 1)
        }
        let (log, ring) = try await open()
        #expect(ring.signingKey.kid == kid)
        #expect(try log.head().position == 2)
        #expect(try ring.refreshTokens.authenticate(refresh).generation == 1)
    }

    @Test("rotation: the new key signs, the old one stays published until its tokens expire, then retires")
    func rotationAndRetirement() async throws {
        let (log, ring) = try await open()
        let old = ring.signingKey
        let oldToken = try AccessTokenIssuer(key: old, issuer: "i", audience: ["a"]).issue(subject: "u", sessionID: "s", now: clock.now().seconds).token
        clock.advance(seconds: 10)
        let new = try await ring.rotate(algorithm: .eddsa, immediately: true)
        #expect(ring.signingKey.kid == new.kid && ring.signingKey.algorithm == .eddsa)
        #expect(Set(ring.jwks.kids) == [old.kid, new.kid])
        let verifier = AccessTokenVerifier(keys: ring.jwks, policy: VerificationPolicy(issuer: "i", audience: "a"))
        #expect(try verifier.verify(oldToken, now: clock.now().seconds).subject == "u")

        // A token it signed at the rotation (exp = rotation + 300) is accepted while floor(now) <= exp + 30;
        // one second more covers a token dated just after the rotation.
        clock.advance(seconds: 300 + 30)
        #expect(try await ring.retireExpiredKeys().isEmpty)
        clock.advance(seconds: 1)
        #expect(try await ring.retireExpiredKeys().isEmpty)
        clock.advance(seconds: 1)
        #expect(try await ring.retireExpiredKeys() == [old.kid])
        #expect(ring.jwks.kids == [new.kid])
        #expect(fileMode(dir.path + "/keys/\(old.kid).pem") == nil)
        guard case let .signingKeyRetired(retired) = try keyEvents(log).last else { Issue.record("no retirement event"); return }
        #expect(retired.kid == old.kid)
        #expect(try await ring.retireExpiredKeys().isEmpty)
    }

    @Test("the key state replays from the log to the same JWKS")
    func replay() async throws {
        var jwks = JWKS()
        do {
            let (_, ring) = try await open()
            try await ring.rotate(immediately: true)
            clock.advance(seconds: 1000)
            try await ring.retireExpiredKeys()
            try await ring.rotate(algorithm: .eddsa)  // published ahead: waiting, not yet signing
            jwks = ring.jwks
        }
        let (_, ring) = try await open()
        #expect(ring.jwks == jwks)
        #expect(ring.jwks.keys.count == 2)
        #expect(ring.pendingRotation?.kid == ring.jwks.kids.first { $0 != ring.signingKey.kid })
    }

    @Test("a missing private key for the active kid leads to a fresh key, not a crash")
    func missingPrivateKey() async throws {
        var kid = ""
        do { kid = try await open().1.signingKey.kid }
        unlink(dir.path + "/keys/\(kid).pem")
        let (_, ring) = try await open()
        #expect(ring.signingKey.kid != kid)
        #expect(ring.jwks[kid] != nil)  // still published for tokens it signed
    }

    @Test("a private key readable by others is refused with advice")
    func looseKeyPermissions() async throws {
        do { _ = try await open() }
        chmod(dir.path + "/keys/refresh-1.key", 0o644)
        await #expect { _ = try await open() } throws: { "\($0)".contains("chmod 600") }
    }
}
