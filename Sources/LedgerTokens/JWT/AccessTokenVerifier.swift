import LedgerCrypto
import Synchronization

/// Verifies access tokens against a key set and a policy, with no call to anyone: what an
/// edge service runs on every request.
public struct AccessTokenVerifier: Sendable {
    public let keys: JWKS
    public let policy: VerificationPolicy
    private let headers = HeaderCache()

    /// A verifier for a fixed key set; when keys change, make a new verifier.
    public init(keys: JWKS, policy: VerificationPolicy) {
        self.keys = keys
        self.policy = policy
    }

    /// The verified claims, or the first failed check with its reason.
    /// - Parameter now: the current time in seconds since the epoch.
    public func verify(_ token: String, now: Int64) throws(TokenError) -> AccessTokenClaims {
        // The straight path every request takes; `report` runs the same checks and keeps going.
        var token = token
        let parts = token.withUTF8 { u in u.count <= policy.maxTokenBytes ? CompactJWS.split(u) : nil }
        guard token.utf8.count <= policy.maxTokenBytes else {
            throw TokenError(.size, "the token is \(token.utf8.count) bytes; at most \(policy.maxTokenBytes) are accepted")
        }
        guard let (encodedHeader, encodedPayload, encodedSignature, signingInput) = parts else {
            throw TokenError(.format, "a compact JWS has exactly three parts separated by '.'")
        }
        // A key signs with one header, so its verdict is remembered: most tokens skip
        // decoding and checking the header entirely.
        let key = try headers.key(for: encodedHeader, orCheck: { () throws(TokenError) in
            let header = try CompactJWS.decodeHeader(encodedHeader)
            if let error = Self.typeError(header) { throw error }
            return try CompactJWS.key(for: header, in: keys)
        })
        guard let payload = Base64URL.decode(encodedPayload) else { throw TokenError(.encoding, "the payload is not canonical base64url") }
        guard let signature = Base64URL.decode(encodedSignature) else { throw TokenError(.encoding, "the signature is not canonical base64url") }
        try CompactJWS.check(signature, of: signingInput, with: key)
        let claims = try Self.claims(fromPayload: payload)
        for check in claimChecks(claims, now: now) { if let error = check.1 { throw error } }
        return claims
    }

    static func typeError(_ header: [String: JSONValue]) -> TokenError? {
        guard let typ = header["typ"] else { return nil }
        let t = typ.stringValue?.lowercased() ?? ""
        let ok = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"].contains(t)
        return ok ? nil : TokenError(.type, "\"typ\" is \(typ.stringValue.map(UntrustedText.quoted) ?? UntrustedText.escaped(typ.serialized)), not a JWT access token")
    }

    /// Reads the payload straight into the claims: registered members into their fields,
    /// the rest into `custom`, with no intermediate dictionary (this runs on every request).
    static func claims(fromPayload bytes: [UInt8]) throws(TokenError) -> AccessTokenClaims {
        var iss, sub, aud, sid, iat, exp, nbf, jti: JSONValue?
        var custom: [String: JSONValue] = [:]
        do {
            try JSONParser.parseObject(bytes) { (name, offset, parser) throws(JSONParser.Failure) in
                func take(_ slot: inout JSONValue?) throws(JSONParser.Failure) {
                    guard slot == nil else { throw JSONParser.duplicate(name, at: offset) }
                    slot = try parser.readValue()
                }
                switch name {
                case "iss": try take(&iss)
                case "sub": try take(&sub)
                case "aud": try take(&aud)
                case "sid": try take(&sid)
                case "iat": try take(&iat)
                case "exp": try take(&exp)
                case "nbf": try take(&nbf)
                case "jti": try take(&jti)
                default:
                    if custom.updateValue(try parser.readValue(), forKey: name) != nil { throw JSONParser.duplicate(name, at: offset) }
                }
            }
        } catch {
            throw TokenError(.payload, "the payload is not a strict JSON object: \(error)")
        }
        func string(_ name: String, _ v: JSONValue?, required: Bool = true) throws(TokenError) -> String? {
            guard let v else {
                if required { throw TokenError(.claims, "required claim \"\(name)\" is missing") }
                return nil
            }
            guard let s = v.stringValue else { throw TokenError(.claims, "claim \"\(name)\" must be a string") }
            return s
        }
        func date(_ name: String, _ v: JSONValue?, required: Bool) throws(TokenError) -> Int64? {
            guard let v else {
                if required { throw TokenError(.claims, "required claim \"\(name)\" is missing") }
                return nil
            }
            guard let d = v.integerValue else { throw TokenError(.claims, "claim \"\(name)\" must be a NumericDate") }
            return d
        }
        let audience: [String]
        switch aud {
        case let .string(s)?: audience = [s]
        case let .array(list)?:
            let strings = list.compactMap(\.stringValue)
            guard strings.count == list.count else { throw TokenError(.claims, "claim \"aud\" must hold only strings") }
            audience = strings
        case nil: throw TokenError(.claims, "required claim \"aud\" is missing")
        default: throw TokenError(.claims, "claim \"aud\" must be a string or an array of strings")
        }
        return AccessTokenClaims(
            issuer: try string("iss", iss)!, subject: try string("sub", sub)!, audience: audience,
            sessionID: try string("sid", sid, required: false) ?? "",
            issuedAt: try date("iat", iat, required: false) ?? 0, expiresAt: try date("exp", exp, required: true)!,
            notBefore: try date("nbf", nbf, required: false), tokenID: try string("jti", jti, required: false) ?? "", custom: custom)
    }

    /// The time, issuer and audience checks, in order, each with its failure if it failed.
    func claimChecks(_ claims: AccessTokenClaims, now: Int64) -> [(TokenCheck, TokenError?)] {
        let leeway = policy.leewaySeconds
        var checks: [(TokenCheck, TokenError?)] = [
            // Written so that no attacker-chosen NumericDate can overflow.
            (.expired, now - leeway > claims.expiresAt
                ? TokenError(.expired, "expired at \(claims.expiresAt), now is \(now) (leeway \(leeway) s)") : nil),
        ]
        if let nbf = claims.notBefore {
            checks.append((.notYetValid, nbf > now + leeway
                ? TokenError(.notYetValid, "not valid before \(nbf), now is \(now) (leeway \(leeway) s)") : nil))
        }
        checks.append((.issuedInFuture, claims.issuedAt > now + leeway
            ? TokenError(.issuedInFuture, "issued at \(claims.issuedAt), in the future (now \(now), leeway \(leeway) s)") : nil))
        checks.append((.issuer, !claims.issuer.hasSameBytes(as: policy.issuer)
            ? TokenError(.issuer, "issuer is \(UntrustedText.quoted(claims.issuer)), expected \(UntrustedText.quoted(policy.issuer))") : nil))
        let served = claims.audience.contains { aud in policy.audiences.contains { $0.hasSameBytes(as: aud) } }
        checks.append((.audience, served ? nil
            : TokenError(.audience, "audience [\(claims.audience.map(UntrustedText.quoted).joined(separator: ", "))] includes none of "
                + "[\(policy.audiences.map(UntrustedText.quoted).joined(separator: ", "))]")))
        return checks
    }

    /// Every check, each reported separately (for `authledger token verify`): signature
    /// checks and claim checks do not hide each other.
    public func report(_ token: String, now: Int64) -> TokenReport {
        let outcome = evaluate(token, now: now)
        return TokenReport(header: outcome.header, payload: outcome.payload, results: outcome.results)
    }

    private struct Outcome {
        var header: [String: JSONValue]?
        var payload: [String: JSONValue]?
        var claims: AccessTokenClaims?
        var results: [TokenReport.Result] = []
    }

    private func evaluate(_ token: String, now: Int64) -> Outcome {
        var out = Outcome()
        func record(_ check: TokenCheck, _ error: TokenError?) {
            out.results.append(TokenReport.Result(check: check, error: error))
        }
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: token, maxBytes: policy.maxTokenBytes) } catch {
            record(error.check, error)
            return out
        }
        out.header = jws.header
        if jws.header["typ"] != nil {
            record(.type, Self.typeError(jws.header))
        }
        do {
            try jws.verifySignature(with: keys)
            record(.signature, nil)
        } catch {
            record(.signature, error)
        }
        out.payload = (try? JSONParser.parse(jws.payload))?.objectValue
        let claims: AccessTokenClaims
        do { claims = try Self.claims(fromPayload: jws.payload) } catch {
            record(error.check, error)
            return out
        }
        out.claims = claims
        for (check, error) in claimChecks(claims, now: now) {
            record(check, error)
        }
        return out
    }
}

/// Remembers, per encoded header, which key it names or why it is refused. Bounded, so a
/// flood of distinct headers cannot grow it; past the bound headers are simply checked.
final class HeaderCache: Sendable {
    private let entries = Mutex<[HeaderBytes: Result<VerificationKey, TokenError>]>([:])
    static let capacity = 64

    func key(for encoded: [UInt8], orCheck check: () throws(TokenError) -> VerificationKey) throws(TokenError) -> VerificationKey {
        let key = HeaderBytes(bytes: encoded)
        if let known = entries.withLock({ $0[key] }) { return try known.get() }
        let result: Result<VerificationKey, TokenError>
        do { result = .success(try check()) } catch { result = .failure(error) }
        entries.withLock { if $0.count < Self.capacity { $0[key] = result } }
        return try result.get()
    }
}

/// Header bytes hashed in one call (an array of bytes would feed the hasher byte by byte).
struct HeaderBytes: Hashable, Sendable {
    let bytes: [UInt8]
    func hash(into hasher: inout Hasher) { bytes.withUnsafeBytes { hasher.combine(bytes: $0) } }
}

/// The outcome of each check on one token.
public struct TokenReport: Sendable {
    public struct Result: Sendable {
        public let check: TokenCheck
        public let error: TokenError?
        public var passed: Bool { error == nil }
    }

    /// The header, when it could be decoded.
    public let header: [String: JSONValue]?
    /// The payload, when it could be decoded (whether or not the signature verified).
    public let payload: [String: JSONValue]?
    /// Each check performed, in order.
    public let results: [Result]

    /// True only when every check passed.
    public var passed: Bool { !results.isEmpty && results.allSatisfy(\.passed) && payload != nil }
}
