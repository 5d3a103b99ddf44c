import Foundation
import LedgerTesting
import Glibc
import Testing

/// Every secret the service hands out (refresh tokens, access tokens, API keys) must be
/// nowhere it keeps or shows: not in the data directory (log, snapshots, locks; the private
/// key files aside), not in its log lines, not in its metrics.
@Suite("Secrets hygiene", .serialized)
struct SecretsHygieneTests {
    /// The forms a secret could leak in: its text, and the bytes that make it a secret
    /// (a refresh token's tag, an access token's signature, an API key's secret part),
    /// raw and in hex.
    static func needles(_ secret: String) -> [(String, [UInt8])] {
        var out: [(String, [UInt8])] = [(secret, Array(secret.utf8))]
        var tail: [UInt8]?
        if secret.hasPrefix("alr1_") {
            // keyID (1) ‖ session (16) ‖ generation (4) ‖ tag (32): the tag is the secret.
            tail = base64URL(String(secret.dropFirst(5))).map { Array($0.suffix(32)) }
        } else if secret.hasPrefix("alk_") {
            // alk_<16 hex digits>_<secret>: the secret itself may hold "_".
            let secretPart = String(secret.dropFirst(21))
            out.append(("\(secret.prefix(8))… secret part", Array(secretPart.utf8)))
            tail = base64URL(secretPart)
        } else if secret.split(separator: ".").count == 3 {
            tail = base64URL(String(secret.split(separator: ".")[2]))
        }
        if let tail, tail.count >= 16 {
            out.append(("\(secret.prefix(12))… raw", tail))
            out.append(("\(secret.prefix(12))… hex", Array(tail.map { String(format: "%02x", $0) }.joined().utf8)))
        }
        return out
    }

    static func base64URL(_ text: String) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        precondition(needle.count >= 16, "a needle this short would match by chance")
        return Data(haystack).range(of: Data(needle)) != nil
    }

    @Test("no issued refresh token, access token or API key is in the data directory (log, snapshots, every file but the private keys), the server's log or /metrics")
    func noSecretAtRest() async throws {
        let server = try LiveServer(arguments: ["--log-level", "trace"])
        var secrets = [server.key]
        let created = try await server.call("POST", "/v1/apikeys", json: #"{"label":"hygiene","scopes":["sessions:write","sessions:read"]}"#)
        #expect(created.status == 201, "\(created.text)")
        let apiKey = try created.json()["key"] as! String
        secrets.append(apiKey)
        for user in ["alice", "bob"] {
            let login = try await server.call("POST", "/v1/sessions", json: #"{"user":"\#(user)","device_label":"Phone","user_agent":"UA/1","claims":{"role":"x"}}"#,
                                              key: apiKey)
            #expect(login.status == 201, "\(login.text)")
            var tokens = try login.json()
            secrets += [tokens["refresh_token"] as! String, tokens["access_token"] as! String]
            for _ in 0..<2 {
                let refreshed = try await server.call("POST", "/v1/refresh", json: #"{"refresh_token":"\#(tokens["refresh_token"] as! String)"}"#, useKey: false)
                #expect(refreshed.status == 200, "\(refreshed.text)")
                tokens = try refreshed.json()
                secrets += [tokens["refresh_token"] as! String, tokens["access_token"] as! String]
            }
            // Tokens sent where they do not belong, and to the token routes, are not logged either.
            let rt = tokens["refresh_token"] as! String, at = tokens["access_token"] as! String
            #expect(try await server.call("POST", "/v1/introspect", form: "token=\(at)").status == 200)
            #expect(try await server.call("POST", "/v1/introspect", form: "token=\(rt)").status == 200)
            #expect(try await server.call("GET", "/v1/users/\(user)/history?token=\(rt)", key: rt).status == 401)
            #expect(try await server.call("GET", "/v1/users/\(user)/sessions", headers: ["Authorization": "Bearer \(at)"]).status == 401)
            if user == "bob" { #expect(try await server.call("POST", "/v1/revoke", form: "token=\(rt)").status == 200) }
        }
        let metrics = try await server.call("GET", "/metrics").text
        // SIGTERM writes the final snapshot, so the snapshot files are searched too.
        try server.terminate()
        let log = server.log
        #expect(log.contains("/v1/refresh"), "the server's log was captured")

        var places: [(String, [UInt8])] = [("the server's log", Array(log.utf8)), ("/metrics", Array(metrics.utf8))]
        let root = URL(fileURLWithPath: server.dir.path)
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])!
        var snapshots = 0
        for case let url as URL in files where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            let relative = String(url.path.dropFirst(root.path.count + 1))
            if relative.hasPrefix("keys/") { continue }  // the private keys: secret by design
            if relative.hasPrefix("snapshots/") { snapshots += 1 }
            places.append((relative, Array(try Data(contentsOf: url))))
        }
        #expect(snapshots >= 1, "a snapshot was written and searched")
        #expect(places.contains { $0.0 == "data.mdb" })
        #expect(secrets.count == 14)
        for secret in secrets {
            for (form, needle) in Self.needles(secret) {
                for (place, bytes) in places {
                    #expect(!Self.contains(bytes, needle), "\(form) found in \(place)")
                }
            }
        }
    }

    @Test("private key files are owner-only, and serve refuses to start when one is readable by others, naming it")
    func keyFilesOwnerOnly() async throws {
        let server = try LiveServer()
        _ = try await server.call("POST", "/v1/sessions", json: #"{"user":"alice","device_label":"Phone"}"#)
        try server.terminate()
        let keys = server.dir.path + "/keys"
        var st = stat()
        #expect(stat(keys, &st) == 0 && st.st_mode & 0o077 == 0, "keys/ is owner-only")
        let names = try FileManager.default.contentsOfDirectory(atPath: keys).sorted()
        #expect(names.contains { $0.hasSuffix(".pem") } && names.contains { $0.hasPrefix("refresh-") }, "\(names)")
        for name in names {
            #expect(stat(keys + "/" + name, &st) == 0 && st.st_mode & 0o077 == 0, "\(name) mode \(String(st.st_mode & 0o777, radix: 8))")
        }
        for name in names where name.hasSuffix(".pem") || name.hasPrefix("refresh-") {
            let path = keys + "/" + name
            chmod(path, 0o640)
            // A server that started anyway would run on: the wait is bounded, then it is killed.
            let r = try ChildProcess.run(LiveServer.binary.path, ["serve", "--data-dir", server.dir.path, "--port", "0"], timeout: 30)
            let (said, printed) = (r.errorOutput, r.output)
            #expect(r.termination != .exited(0), "serve started with \(name) readable by its group")
            #expect(!printed.contains("listening"), "\(printed)")
            #expect(said.contains(path) && said.contains("chmod 600"), "\(said)")
            chmod(path, 0o600)
        }
    }
}
