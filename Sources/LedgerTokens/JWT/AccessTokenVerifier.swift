/// Verifies access tokens against a key set and a policy, with no call to anyone: what an
/// edge service runs on every request.
public struct AccessTokenVerifier: Sendable {
    public var keys: JWKS
    public var policy: VerificationPolicy

    public init(keys: JWKS, policy: VerificationPolicy) {
        self.keys = keys
        self.policy = policy
    }

    /// The verified claims, or the first failed check with its reason.
    /// - Parameter now: the current time in seconds since the epoch.
    public func verify(_ token: String, now: Int64) throws(TokenError) -> AccessTokenClaims {
        let outcome = evaluate(token, now: now, stopAtFirstFailure: true)
        if let failure = outcome.results.first(where: { !$0.passed }) { throw failure.error! }
        return outcome.claims!
    }

    /// Every check, each reported separately (for `authledger token verify`): signature
    /// checks and claim checks do not hide each other.
    public func report(_ token: String, now: Int64) -> TokenReport {
        let outcome = evaluate(token, now: now, stopAtFirstFailure: false)
        return TokenReport(header: outcome.header, payload: outcome.payload, results: outcome.results)
    }

    private struct Outcome {
        var header: [String: JSONValue]?
        var payload: [String: JSONValue]?
        var claims: AccessTokenClaims?
        var results: [TokenReport.Result] = []
    }

    private func evaluate(_ token: String, now: Int64, stopAtFirstFailure stop: Bool) -> Outcome {
        var out = Outcome()
        func record(_ check: TokenCheck, _ error: TokenError?) -> Bool {
            out.results.append(TokenReport.Result(check: check, error: error))
            return error == nil || !stop
        }
        let jws: CompactJWS
        do { jws = try CompactJWS(parsing: token, maxBytes: policy.maxTokenBytes) } catch {
            _ = record(error.check, error)
            return out
        }
        out.header = jws.header
        if let typ = jws.header["typ"] {
            let t = typ.stringValue?.lowercased() ?? ""
            let ok = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"].contains(t)
            guard record(.type, ok ? nil : TokenError(.type, "\"typ\" is \(typ.serialized), not a JWT access token")) else { return out }
        }
        do {
            try jws.verifySignature(with: keys)
            guard record(.signature, nil) else { return out }
        } catch {
            guard record(.signature, error) else { return out }
        }
        let payload: [String: JSONValue]
        do {
            guard let p = try JSONParser.parse(jws.payload).objectValue else {
                _ = record(.payload, TokenError(.payload, "the payload is not a JSON object"))
                return out
            }
            payload = p
        } catch {
            _ = record(.payload, TokenError(.payload, "the payload is not valid JSON: \(error)"))
            return out
        }
        out.payload = payload
        let claims: AccessTokenClaims
        do { claims = try Self.claims(from: payload) } catch {
            _ = record(.claims, error)
            return out
        }
        out.claims = claims
        let leeway = policy.leewaySeconds
        guard record(.expired, now > claims.expiresAt + leeway
                      ? TokenError(.expired, "expired at \(claims.expiresAt), now is \(now) (leeway \(leeway) s)") : nil) else { return out }
        if let nbf = claims.notBefore {
            guard record(.notYetValid, now + leeway < nbf
                          ? TokenError(.notYetValid, "not valid before \(nbf), now is \(now) (leeway \(leeway) s)") : nil) else { return out }
        }
        guard record(.issuedInFuture, claims.issuedAt > now + leeway
                      ? TokenError(.issuedInFuture, "issued at \(claims.issuedAt), in the future (now \(now), leeway \(leeway) s)") : nil) else { return out }
        guard record(.issuer, claims.issuer != policy.issuer
                      ? TokenError(.issuer, "issuer is \"\(claims.issuer)\", expected \"\(policy.issuer)\"") : nil) else { return out }
        _ = record(.audience, claims.audience.contains(policy.audience) ? nil
                   : TokenError(.audience, "audience \(claims.audience) does not include \"\(policy.audience)\""))
        return out
    }

    /// Reads the registered claims; every one AuthLedger relies on must be present with the right type.
    static func claims(from p: [String: JSONValue]) throws(TokenError) -> AccessTokenClaims {
        func string(_ name: String, required: Bool = true) throws(TokenError) -> String? {
            guard let v = p[name] else {
                if required { throw TokenError(.claims, "required claim \"\(name)\" is missing") }
                return nil
            }
            guard let s = v.stringValue else { throw TokenError(.claims, "claim \"\(name)\" must be a string") }
            return s
        }
        func date(_ name: String, required: Bool) throws(TokenError) -> Int64? {
            guard let v = p[name] else {
                if required { throw TokenError(.claims, "required claim \"\(name)\" is missing") }
                return nil
            }
            guard let d = v.integerValue else { throw TokenError(.claims, "claim \"\(name)\" must be a NumericDate") }
            return d
        }
        let audience: [String]
        switch p["aud"] {
        case let .string(s)?: audience = [s]
        case let .array(list)?:
            let strings = list.compactMap(\.stringValue)
            guard strings.count == list.count else { throw TokenError(.claims, "claim \"aud\" must hold only strings") }
            audience = strings
        case nil: throw TokenError(.claims, "required claim \"aud\" is missing")
        default: throw TokenError(.claims, "claim \"aud\" must be a string or an array of strings")
        }
        var custom = p
        for name in AccessTokenClaims.registeredNames { custom[name] = nil }
        return AccessTokenClaims(
            issuer: try string("iss")!, subject: try string("sub")!, audience: audience,
            sessionID: try string("sid", required: false) ?? "",
            issuedAt: try date("iat", required: false) ?? 0, expiresAt: try date("exp", required: true)!,
            notBefore: try date("nbf", required: false), tokenID: try string("jti", required: false) ?? "", custom: custom)
    }
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
