import ArgumentParser
import LedgerEvents
import LedgerLog

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Append a short scripted story of auth events to the log and print the log.",
        discussion: """
            Alice logs in on two devices, refreshes, and logs out of one; a key is published.
            Each run appends more events; the whole log is printed, then its chain is verified.
            """
    )

    @OptionGroup var data: DataDirectoryOption

    func run() async throws {
        let log = try EventLog(directory: data.path)
        let phone = SessionID.random(), laptop = SessionID.random()
        let events: [AuthEvent] = [
            .sessionStarted(SessionStarted(session: phone, device: Device(label: "iPhone", userAgent: "Safari/17.4", ip: IPAddress("198.51.100.7")!), lifetimes: SessionLifetimes())),
            .sessionStarted(SessionStarted(session: laptop, device: Device(label: "Chrome on macOS", userAgent: "Chrome/131", ip: IPAddress("203.0.113.20")!), lifetimes: SessionLifetimes())),
            .refreshRotated(RefreshRotated(session: phone, generation: 1, ip: IPAddress("198.51.100.7")!)),
            .refreshRotated(RefreshRotated(session: laptop, generation: 1, ip: IPAddress("203.0.113.20")!)),
            .sessionEnded(SessionEnded(session: phone)),
        ]
        try await log.append(AuthEvent.signingKeyActivated(SigningKeyChanged(kid: "demo-key")).pending(user: nil))
        for e in events { try await log.append(e.pending(user: "alice")) }
        try log.scan { view in
            print((try? LoggedEvent(view: view).textLine) ?? "#\(view.position)  (undecodable record of type \(view.type))")
            return true
        }
        let report = try log.verifyChain()
        print(report.isIntact
              ? "chain intact: \(report.checked) records, head \(report.head)"
              : "chain BROKEN at \(report.firstBreak!)")
        print("data directory: \(data.path)")
    }
}
