/// The claims of an AuthLedger access token (RFC 7519 registered claims plus `sid`).
public struct AccessTokenClaims: Sendable, Equatable {
    /// `iss`: who issued it.
    public var issuer: String
    /// `sub`: the user.
    public var subject: String
    /// `aud`: who it is for (a string in JSON when there is one).
    public var audience: [String]
    /// `sid`: the session, for the stateful revocation check.
    public var sessionID: String
    /// `iat`, `exp`, `nbf`: seconds since the epoch.
    public var issuedAt: Int64
    public var expiresAt: Int64
    public var notBefore: Int64?
    /// `jti`: unique per token.
    public var tokenID: String
    /// Caller-supplied claims (roles and the like). They can never replace registered ones.
    public var custom: [String: JSONValue]

    private static let registered = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid"]

    /// The claim names AuthLedger sets itself; custom claims may not use them.
    public static let registeredNames = Set(registered)

    /// Whether `name` is one of `registeredNames`: eight comparisons of short strings, no
    /// hashing (checked for every custom claim of every token issued).
    public static func isRegistered(_ name: String) -> Bool { registered.contains(name) }

    public init(issuer: String, subject: String, audience: [String], sessionID: String, issuedAt: Int64,
                expiresAt: Int64, notBefore: Int64? = nil, tokenID: String, custom: [String: JSONValue] = [:]) {
        self.issuer = issuer; self.subject = subject; self.audience = audience; self.sessionID = sessionID
        self.issuedAt = issuedAt; self.expiresAt = expiresAt; self.notBefore = notBefore
        self.tokenID = tokenID; self.custom = custom
    }

    /// Appends the decimal digits of `v` without building a String.
    static func appendDecimal(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 { out.append(UInt8(ascii: "-")) }
        var m = v.magnitude
        var width = 1
        var p: UInt64 = 10
        while width < 20 && m >= p { width += 1; p = p &* 10 }
        let start = out.count
        out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var i = start + width - 1
        repeat {
            out[i] = UInt8(ascii: "0") + UInt8(m % 10)
            m /= 10
            i -= 1
        } while m > 0
    }

    /// The payload JSON: registered claims in a fixed order, then custom claims by name.
    func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256)
        out.append(UInt8(ascii: "{"))
        var first = true
        func key(_ k: StaticString) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
            out += [UInt8(ascii: "\""), UInt8(ascii: ":")]
        }
        key("iss"); JSONValue.writeString(issuer, into: &out)
        key("sub"); JSONValue.writeString(subject, into: &out)
        key("aud")
        if audience.count == 1 { JSONValue.writeString(audience[0], into: &out) } else { JSONValue.array(audience.map { .string($0) }).write(into: &out) }
        key("sid"); JSONValue.writeString(sessionID, into: &out)
        key("iat"); Self.appendDecimal(issuedAt, to: &out)
        if let notBefore { key("nbf"); Self.appendDecimal(notBefore, to: &out) }
        key("exp"); Self.appendDecimal(expiresAt, to: &out)
        key("jti"); JSONValue.writeString(tokenID, into: &out)
        func member(_ name: String, _ value: JSONValue) {
            out.append(UInt8(ascii: ","))
            JSONValue.writeString(name, into: &out)
            out.append(UInt8(ascii: ":"))
            value.write(into: &out)
        }
        // Sorted by name, so equal claims serialise equally; one claim needs no sorting.
        if custom.count < 2 {
            for (name, value) in custom { member(name, value) }
        } else {
            for (name, value) in custom.sorted(by: { $0.key < $1.key }) { member(name, value) }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
