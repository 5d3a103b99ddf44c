import Foundation
import LedgerCodec
import LedgerTokens
import Logging

/// One name per setting, the same in a configuration file (JSON object member), an
/// environment variable (`AUTHLEDGER_` + upper case, `-` as `_`) and a flag (`--name`).
/// Later sources win: defaults, then the file, then the environment, then flags.
public enum ServerSetting: String, CaseIterable, Sendable {
    case host, port
    case dataDir = "data-dir"
    case trustedProxies = "trusted-proxies"
    case rateLimitPerMinute = "rate-limit-per-minute"
    case rateLimitBurst = "rate-limit-burst"
    case maxBodyBytes = "max-body-bytes"
    case maxHeaderBytes = "max-header-bytes"
    case maxTokenBytes = "max-token-bytes"
    case refreshCookie = "refresh-cookie"
    case corsOrigins = "cors-origins"
    case heartbeatSeconds = "heartbeat-seconds"
    case jwksMaxAgeSeconds = "jwks-max-age-seconds"
    case keyPublishAheadSeconds = "key-publish-ahead-seconds"
    case idleTimeoutSeconds = "idle-timeout-seconds"
    case writeTimeoutSeconds = "write-timeout-seconds"
    case logLevel = "log-level"
    case logOrigin = "log-origin"
    case checkpointSeconds = "checkpoint-seconds"

    /// The environment variable that sets it.
    public var environmentName: String { "AUTHLEDGER_" + rawValue.uppercased().replacingOccurrences(of: "-", with: "_") }
}

/// A setting that could not be used, naming where it came from.
public struct ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension ServerConfiguration {
    /// Applies `settings` (raw text values) from `source` (for messages: a file path,
    /// "environment", "flags"). Lists are comma-separated.
    public mutating func apply(_ settings: [ServerSetting: String], from source: String) throws(ConfigurationError) {
        for (setting, text) in settings.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            func int(_ range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
                guard let v = Int(text), range.contains(v) else {
                    throw ConfigurationError("\(setting.rawValue) from \(source) must be a whole number in \(range.lowerBound)...\(range.upperBound)")
                }
                return v
            }
            func list() -> [String] { text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
            switch setting {
            case .host: host = text
            case .port: port = try int(0...65_535)
            case .dataDir: dataDirectory = text
            case .trustedProxies:
                let proxies = list()
                for p in proxies where IPAddress(p) == nil {
                    throw ConfigurationError("trusted-proxies from \(source): \(p.debugDescription) is not an IP address")
                }
                trustedProxies = proxies
            case .rateLimitPerMinute: rateLimit.perMinute = try int(0...1_000_000)
            case .rateLimitBurst: rateLimit.burst = try int(1...1_000_000)
            case .maxBodyBytes: limits.maxBodyBytes = try int(256...16_777_216)
            case .maxHeaderBytes: limits.maxHeaderBytes = try int(1_024...1_048_576)
            case .maxTokenBytes: limits.maxTokenBytes = try int(128...65_536)
            case .refreshCookie:
                switch text.lowercased() {
                case "true", "1", "yes", "on": browser.refreshCookie = true
                case "false", "0", "no", "off": browser.refreshCookie = false
                default: throw ConfigurationError("refresh-cookie from \(source) must be true or false")
                }
            case .corsOrigins: browser.allowedOrigins = list()
            case .heartbeatSeconds: heartbeatSeconds = try int(1...3_600)
            case .jwksMaxAgeSeconds: jwksMaxAgeSeconds = try int(0...86_400)
            case .keyPublishAheadSeconds: engine.signingKeyPublishAheadSeconds = Int64(try int(0...604_800))
            case .idleTimeoutSeconds: timeouts.idleSeconds = try int(1...86_400)
            case .writeTimeoutSeconds: timeouts.writeStallSeconds = try int(1...86_400)
            case .logOrigin: engine.logOrigin = text
            case .checkpointSeconds:
                let seconds = try int(0...86_400)
                engine.checkpointInterval = seconds == 0 ? nil : .seconds(seconds)
            case .logLevel:
                guard let level = Logger.Level(rawValue: text.lowercased()) else {
                    throw ConfigurationError("log-level from \(source) must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                logger.logLevel = level
            }
        }
    }

    /// Checks settings that constrain each other; `buildApplication` calls it.
    public func validate() throws(ConfigurationError) {
        guard Int64(jwksMaxAgeSeconds) <= engine.signingKeyPublishAheadSeconds else {
            throw ConfigurationError("""
                jwks-max-age-seconds (\(jwksMaxAgeSeconds)) is longer than key-publish-ahead-seconds \
                (\(engine.signingKeyPublishAheadSeconds)): a verifier could hold a cached key set without the key that \
                signs its tokens after a rotation; lower the first or raise the second
                """)
        }
    }

    /// The settings present in an environment (`AUTHLEDGER_HOST`, ...).
    public static func settings(fromEnvironment environment: [String: String]) -> [ServerSetting: String] {
        var out: [ServerSetting: String] = [:]
        for s in ServerSetting.allCases { if let v = environment[s.environmentName] { out[s] = v } }
        return out
    }

    /// The settings in a configuration file: one JSON object whose members are setting
    /// names; strings, numbers, booleans, or arrays of strings for lists.
    public static func settings(fromFile bytes: [UInt8], path: String) throws(ConfigurationError) -> [ServerSetting: String] {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw ConfigurationError("\(path) is not JSON: \(error)") }
        guard let object = value.objectValue else { throw ConfigurationError("\(path) must hold one JSON object of settings") }
        var out: [ServerSetting: String] = [:]
        for (name, v) in object {
            guard let setting = ServerSetting(rawValue: name) else {
                throw ConfigurationError("\(path): unknown setting \(name.debugDescription); known: \(ServerSetting.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            switch v {
            case let .string(s): out[setting] = s
            case let .integer(i): out[setting] = String(i)
            case let .bool(b): out[setting] = String(b)
            case let .array(items):
                let strings = items.compactMap(\.stringValue)
                guard strings.count == items.count else { throw ConfigurationError("\(path): \(name) must be a list of strings") }
                out[setting] = strings.joined(separator: ",")
            default: throw ConfigurationError("\(path): \(name) has a value of the wrong type")
            }
        }
        return out
    }
}
