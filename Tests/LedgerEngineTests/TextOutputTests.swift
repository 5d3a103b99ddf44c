import LedgerEngine
import LedgerCodec
import LedgerLog
import LedgerTesting
import LedgerTokens
import Testing

/// Strings an attacker controls (user ids, device labels, user agents, actors, reasons,
/// kids) that would break or forge a line of text, or drive the terminal showing it.
let hostileStrings = ["\n", "\r", "\u{1B}[31m", "\u{9B}", "\"", "\u{202E}", "\u{2028}", "\u{7F}", "\u{2067}", "\\", "a\" by=\"root"]

/// Scalars that must never reach the terminal raw.
func rawControls(in text: String) -> [Unicode.Scalar] {
    text.unicodeScalars.filter { s in
        switch s.value {
        case 0x00...0x1f, 0x7f...0x9f, 0x2028, 0x2029, 0x202a...0x202e, 0x2066...0x2069: true
        default: false
        }
    }
}

/// Reads back the value of `key="…"` from a text line, undoing the escapes documented in
/// docs/EVENTS.md ("Text form"); nil if the key is absent or its value is not quoted.
func quotedValue(_ key: String, in line: String) -> String? {
    let scalars = Array(line.unicodeScalars)
    let prefix = Array((key + "=\"").unicodeScalars)
    guard let start = (0...(max(0, scalars.count - prefix.count))).first(where: { i in
        (i == 0 || scalars[i - 1] == " ") && i + prefix.count <= scalars.count && Array(scalars[i..<(i + prefix.count)]) == prefix
    }) else { return nil }
    var out = String.UnicodeScalarView()
    var i = start + prefix.count
    while i < scalars.count {
        let c = scalars[i]
        if c == "\"" { return String(out) }
        if c == "\\", i + 1 < scalars.count {
            let e = scalars[i + 1]
            switch e {
            case "n": out.append("\n"); i += 2
            case "r": out.append("\r"); i += 2
            case "t": out.append("\t"); i += 2
            case "u":
                guard let close = scalars[(i + 2)...].firstIndex(of: "}"),
                      let v = UInt32(String(String.UnicodeScalarView(scalars[(i + 3)..<close])), radix: 16),
                      let u = Unicode.Scalar(v) else { return nil }
                out.append(u); i = close + 1
            default: out.append(e); i += 2
            }
        } else {
            out.append(c); i += 1
        }
    }
    return nil
}

@Suite("Text output cannot be forged")
struct TextOutputTests {
    @Test("each event's text line is one line, carries no raw control, and quotes every outside string so it reads back exactly",
          arguments: hostileStrings)
    func eventLines(hostile: String) async throws {
        let f = EngineFixture()
        let engine = try await f.open()
        let user = "eve" + hostile
        let device = Device(label: "Laptop" + hostile, userAgent: "UA" + hostile, ip: IPAddress("203.0.113.9")!)
        let (tokens, _) = try await engine.login(LoginRequest(user: user, device: device))
        _ = try await engine.login(LoginRequest(user: user, device: EngineFixture.phone))
        try await engine.revoke(session: tokens.session, actor: "admin" + hostile)
        try await engine.logoutAll(user: user)
        try await engine.ban(user: user, actor: "jo" + hostile, reason: "fraud" + hostile)
        try await engine.unban(user: user, actor: "kim" + hostile)
        let events = try engine.history(user: user)
        #expect(events.count >= 7)
        for event in events {
            let line = event.textLine
            #expect(!line.contains("\n") && !line.contains("\r"), "\(line.debugDescription)")
            #expect(rawControls(in: line).isEmpty, "\(line.debugDescription)")
            #expect(quotedValue("user", in: line) == user, "\(line.debugDescription)")
            switch event.event {
            case .sessionStarted:
                #expect(quotedValue("device", in: line) == device.label || quotedValue("device", in: line) == EngineFixture.phone.label)
            case .sessionRevoked: #expect(quotedValue("by", in: line) == "admin" + hostile)
            case .userBanned:
                #expect(quotedValue("by", in: line) == "jo" + hostile)
                #expect(quotedValue("reason", in: line) == "fraud" + hostile)
            case .userUnbanned: #expect(quotedValue("by", in: line) == "kim" + hostile)
            default: break
            }
            // JSON carries the same strings, unchanged, and stays one valid object.
            let json = event.json.serialized
            #expect(!json.contains("\n") && !json.contains("\r"))
            let parsed = try #require(try JSONParser.parse(json).objectValue)
            #expect(parsed["user"] == .string(user))
        }
        let started = try #require(events.first { if case .sessionStarted = $0.event { true } else { false } })
        #expect(quotedValue("ua", in: started.textLine) == device.userAgent)
    }

    @Test("every event kind's summary quotes its outside strings, kids included", arguments: hostileStrings)
    func summaries(hostile: String) {
        let s = SessionID(high: 1, low: 2)
        let events: [(AuthEvent, [String])] = [
            (.sessionStarted(SessionStarted(session: s, device: Device(label: hostile, userAgent: hostile), lifetimes: SessionLifetimes())), ["device", "ua"]),
            (.sessionRevoked(SessionRevoked(session: s, reason: .admin, actor: hostile)), ["by"]),
            (.userSessionsRevoked(UserSessionsRevoked(except: s, reason: .logoutAll, actor: hostile)), ["by"]),
            (.userBanned(UserBanned(actor: hostile, reason: hostile)), ["by", "reason"]),
            (.userUnbanned(UserUnbanned(actor: hostile)), ["by"]),
            (.signingKeyAdded(SigningKeyAdded(kid: hostile, algorithm: hostile, publicJWK: "{}")), ["kid", "alg"]),
            (.signingKeyActivated(SigningKeyChanged(kid: hostile)), ["kid"]),
            (.signingKeyRetired(SigningKeyChanged(kid: hostile)), ["kid"]),
            (.suspiciousActivity(SuspiciousActivity(rule: .newDevice, session: s, detail: hostile)), ["detail"]),
        ]
        for (e, keys) in events {
            let text = e.summary
            #expect(!text.contains("\n") && !text.contains("\r") && rawControls(in: text).isEmpty, "\(text.debugDescription)")
            for key in keys { #expect(quotedValue(key, in: text) == hostile, "\(key) in \(text.debugDescription)") }
        }
    }
}
