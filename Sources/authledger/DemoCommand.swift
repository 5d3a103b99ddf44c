import ArgumentParser
import LedgerEngine
import LedgerCodec
import LedgerLog

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a short scripted story through the engine and show what the log recorded.",
        discussion: """
            Alice logs in on her iPhone and her laptop and refreshes; a stolen, already-used \
            laptop refresh token is replayed from another network, so the laptop session is \
            revoked (reuse detection); she logs in from a new browser (flagged); an admin bans \
            mallory. Then the audit of alice, her active sessions and the chain check are \
            printed. Each run appends to the data directory's log.
            """
    )

    @OptionGroup var data: DataDirectoryOption

    func run() async throws {
        let engine = try await data.openEngine()
        let alice = "alice"
        let phone = Device(label: "iPhone", userAgent: "Safari/17.4 (iPhone)", ip: IPAddress("198.51.100.7")!)
        let laptop = Device(label: "Chrome on macOS", userAgent: "Chrome/131 (Macintosh)", ip: IPAddress("203.0.113.20")!)

        let (p1, _) = try await engine.login(LoginRequest(user: alice, device: phone, customClaims: ["roles": ["user"]]))
        let (l1, _) = try await engine.login(LoginRequest(user: alice, device: laptop))
        _ = try await engine.refresh(p1.refreshToken, ip: phone.ip)
        let l2 = try await engine.refresh(l1.refreshToken, ip: laptop.ip)
        _ = try await engine.refresh(l2.refreshToken, ip: laptop.ip)
        emit("alice refreshed on both devices; now a thief replays her old laptop token from 192.0.2.66 ...")
        do {
            _ = try await engine.refresh(l1.refreshToken, ip: IPAddress("192.0.2.66")!)
        } catch {
            emit("  refused: \(error)")
        }
        _ = try await engine.login(LoginRequest(user: alice, device: Device(label: "Firefox on Linux", userAgent: "Firefox/133", ip: IPAddress("198.51.100.8")!)))
        _ = try await engine.login(LoginRequest(user: "mallory", device: phone))
        try await engine.ban(user: "mallory", actor: "admin:demo", reason: "abuse")
        do {
            _ = try await engine.login(LoginRequest(user: "mallory", device: phone))
        } catch {
            emit("mallory tries to log in again: \(error)")
        }

        emit("")
        emit("alice's history (authledger audit alice):")
        for event in try engine.history(user: alice) { emit("  " + event.textLine) }
        emit("")
        emit("alice's active sessions (authledger sessions alice):")
        for s in engine.activeSessions(user: alice, current: p1.session) {
            emit("  \(s.id)  \(TextEscaping.quoted(s.deviceLabel))  ip=\(s.ip)\(s.isCurrent ? "  (current)" : "")")
        }
        let report = try engine.log.verifyChain()
        emit("")
        emit("chain: \(report.isIntact ? "intact" : "BROKEN"), \(report.checked) records, head \(report.head)")
        try await engine.shutdown()
        emit("data directory: \(data.path)")
        emit("next: authledger audit alice --format json | authledger stats | authledger tail --from 1")
    }
}
