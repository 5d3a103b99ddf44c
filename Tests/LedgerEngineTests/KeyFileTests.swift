import Glibc
import LedgerCrypto
import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// An EC P-256 key in encrypted PKCS#8 (passphrase "authledger"), as `openssl pkcs8 -topk8` writes it.
let encryptedPEM = """
    -----BEGIN ENCRYPTED PRIVATE KEY-----
    MIHsMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAggzK7tHrBmygICCAAw
    DAYIKoZIhvcNAgkFADAdBglghkgBZQMEASoEEJ88Kuvlk9J0m1IxnUpOeJgEgZC9
    Fwjx3nbvAXmQYtEdI1LFJR4Ccx6N5DxEWg/y/RQ9cBgrJZ2i5zQ9y+sU/hTOJXAz
    ejqrOgRCz/cyXrkqL7TZEucl7Uxu8fV4Fj/EgMQDaaoJUvL99BFcO2gBTcVV/4Ch
    eGd/Md364NjhYF+sB+7d6Gh4zQU073hbabZL4CE5iSfVIYtxM1fPO913fbkzeGc=
    -----END ENCRYPTED PRIVATE KEY-----

    """

/// Writes `text` to `path` with `mode` (replacing what is there), as an operator or attacker would.
func plant(_ text: String, at path: String, mode: mode_t = 0o600) {
    unlink(path)
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)
    precondition(fd >= 0, "cannot create \(path)")
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    fchmod(fd, mode)
    close(fd)
}

func contents(_ path: String) -> String? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 4096)
    while case let n = fread(&buf, 1, buf.count, f), n > 0 { out += buf[..<n] }
    return String(decoding: out, as: UTF8.self)
}

func isSymbolicLink(_ path: String) -> Bool {
    var st = stat()
    return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK
}

@Suite("Key files and the data directory")
struct KeyFileTests {
    let dir = TemporaryDirectory()
    let clock = ManualClock()
    var keys: String { dir.path + "/keys" }

    func open() async throws -> AuthEngine {
        var c = EngineConfiguration()
        c.log = .unsafeFast(clock: clock)
        c.clock = clock
        c.snapshotAtShutdown = false
        return try await AuthEngine.open(dataDirectory: dir.path, configuration: c)
    }

    /// A data directory that has been opened once: its active kid and a refresh token minted then.
    func prepared() async throws -> (kid: String, refreshToken: String) {
        let engine = try await open()
        let (tokens, _) = try await engine.login(LoginRequest(user: "alice", device: Device(label: "Phone")))
        return (engine.keys.signingKey.kid, tokens.refreshToken)
    }

    func head() throws -> UInt64 {
        var c = LogConfiguration()
        c.readOnly = true
        return try EventLog(directory: dir.path, configuration: c).head().position
    }

    /// Open must fail with `kind`, name `path` and say `advice`, and log nothing.
    func expectRefused(_ kind: EngineError.Kind, naming path: String, advice: String) async throws {
        let before = try head()
        do {
            _ = try await open()
            Issue.record("open succeeded despite \(path)")
        } catch let error as EngineError {
            #expect(error.kind == kind)
            #expect(error.message.contains(path), "\(error.message)")
            #expect(error.message.contains(advice), "\(error.message)")
        }
        #expect(try head() == before, "a refused start must log no key events")
    }

    enum SigningKeyDamage: String, CaseIterable, Sendable {
        case readableByOthers, corrupt, encrypted, directoryInPlace, symbolicLink, anotherKey
    }

    @Test("an active signing key file that is there but unusable stops open, naming the file; no key is replaced",
          arguments: SigningKeyDamage.allCases)
    func unusableSigningKey(_ damage: SigningKeyDamage) async throws {
        let (kid, _) = try await prepared()
        let path = keys + "/\(kid).pem"
        switch damage {
        case .readableByOthers:
            chmod(path, 0o644)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "chmod 600")
        case .corrupt:
            plant("-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n", at: path)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "restore the file from a backup")
        case .encrypted:
            plant(encryptedPEM, at: path)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "decrypt it")
        case .directoryInPlace:
            // Tests run as root, who reads any file: a directory is what cannot be read as one.
            unlink(path)
            mkdir(path, 0o700)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "not a regular file")
        case .symbolicLink:
            rename(path, dir.path + "/elsewhere.pem")
            symlink(dir.path + "/elsewhere.pem", path)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "symbolic link")
        case .anotherKey:
            plant(try SigningKey.generate(.es256).pemRepresentation(), at: path)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "different key")
        }
    }

    @Test("a published older key's file readable by others stops open too")
    func looseOlderKey() async throws {
        let old: String
        do {
            let engine = try await open()
            old = engine.keys.signingKey.kid
            try await engine.rotateSigningKey(immediately: true)
        }
        chmod(keys + "/\(old).pem", 0o640)
        try await expectRefused(.keyFile(path: keys + "/\(old).pem"), naming: keys + "/\(old).pem", advice: "chmod 600")
    }

    @Test("a missing active key file is the one case that creates a key")
    func missingKeyCreatesOne() async throws {
        let (kid, _) = try await prepared()
        unlink(keys + "/\(kid).pem")
        let engine = try await open()
        #expect(engine.keys.signingKey.kid != kid)
        #expect(engine.keys.jwks[kid] != nil)
    }

    enum RefreshKeyDamage: String, CaseIterable, Sendable {
        case readableByOthers, wrongLength, directoryInPlace
    }

    @Test("an unusable refresh-token key file stops open, naming the file", arguments: RefreshKeyDamage.allCases)
    func unusableRefreshKey(_ damage: RefreshKeyDamage) async throws {
        _ = try await prepared()
        let path = keys + "/refresh-1.key"
        switch damage {
        case .readableByOthers:
            chmod(path, 0o604)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "chmod 600")
        case .wrongLength:
            plant("not thirty-two bytes", at: path)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "32 random bytes")
        case .directoryInPlace:
            unlink(path)
            mkdir(path, 0o700)
            try await expectRefused(.keyFile(path: path), naming: path, advice: "not a regular file")
        }
    }

    @Test("refresh-key names are canonical decimal 1…255; other spellings are refused, not read as another key",
          arguments: ["refresh-01.key", "refresh-+1.key", "refresh-0.key", "refresh-256.key", "refresh-1000.key", "refresh-.key", "refresh- 1.key"])
    func nonCanonicalRefreshKeyName(_ name: String) async throws {
        _ = try await prepared()
        // Renamed, so that a loose reading would take it for key 1 (and nothing else is key 1).
        rename(keys + "/refresh-1.key", keys + "/" + name)
        try await expectRefused(.keyFile(path: keys + "/" + name), naming: keys + "/" + name, advice: "rename it")
        #expect(contents(keys + "/refresh-1.key") == nil, "no new refresh key 1 was created")
    }

    @Test("a leftover temporary file is never read as a key")
    func temporaryFileIgnored() async throws {
        let (_, refreshToken) = try await prepared()
        plant(String(repeating: "x", count: 32), at: keys + "/refresh-1.key.tmp-123")
        plant(String(repeating: "y", count: 32), at: keys + "/refresh-2.key.tmp-9f3c")
        let engine = try await open()
        #expect(engine.refreshTokenStatus(refreshToken) == .current)
    }

    // MARK: Files written in the data directory

    @Test("a writer.lock link pointing outside is refused, and its target left alone")
    func plantedWriterLockLink() async throws {
        let outside = dir.path + "/precious"
        plant("precious", at: outside)
        symlink(outside, dir.path + "/writer.lock")
        do {
            _ = try await open()
            Issue.record("open followed the writer.lock link")
        } catch let error as LogError {
            #expect("\(error)".contains(dir.path + "/writer.lock") && "\(error)".contains("symbolic link"))
        }
        #expect(contents(outside) == "precious")
    }

    @Test("keys/ or snapshots/ writable by group or others refuses open, with the chmod to run",
          arguments: ["keys", "snapshots"])
    func groupWritableDirectory(_ name: String) async throws {
        _ = try await prepared()
        let path = dir.path + "/" + name
        mkdir(path, 0o700)
        chmod(path, 0o770)
        try await expectRefused(.unsafeDirectory(path: path), naming: path, advice: "chmod 700 \(path)")
        chmod(path, 0o700)
        _ = try await open()
    }

    @Test("keys/ as a symbolic link refuses open")
    func linkedKeysDirectory() async throws {
        _ = try await prepared()
        rename(keys, dir.path + "/real-keys")
        symlink(dir.path + "/real-keys", keys)
        try await expectRefused(.unsafeDirectory(path: keys), naming: keys, advice: "symbolic link")
    }
}
