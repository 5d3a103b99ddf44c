import LedgerCrypto

/// A compact JWS split into its parts and decoded, but not yet trusted.
public struct CompactJWS: Sendable {
    /// The protected header, parsed strictly.
    public let header: [String: JSONValue]
    /// The decoded payload bytes.
    public let payload: [UInt8]
    /// The decoded signature bytes.
    public let signature: [UInt8]
    /// The ASCII bytes `header.payload` that the signature covers.
    public let signingInput: [UInt8]

    /// Splits and decodes `token`. Checks size, shape, base64url canonicality and header JSON;
    /// says nothing about the signature.
    public init(parsing token: String, maxBytes: Int = 8192) throws(TokenError) {
        var token = token
        let parts: (header: [UInt8], payload: [UInt8], signature: [UInt8], input: [UInt8])? = token.withUTF8 { u in
            guard u.count <= maxBytes else { return nil }
            return CompactJWS.split(u)
        }
        guard token.utf8.count <= maxBytes else {
            throw TokenError(.size, "the token is \(token.utf8.count) bytes; at most \(maxBytes) are accepted")
        }
        guard let parts else { throw TokenError(.format, "a compact JWS has exactly three parts separated by '.'") }
        let header = try Self.decodeHeader(parts.header)
        guard let p = Base64URL.decode(parts.payload) else { throw TokenError(.encoding, "the payload is not canonical base64url") }
        guard let s = Base64URL.decode(parts.signature) else { throw TokenError(.encoding, "the signature is not canonical base64url") }
        self.header = header
        payload = p
        signature = s
        signingInput = parts.input
    }

    /// Decodes and parses an encoded protected header.
    static func decodeHeader(_ encoded: [UInt8]) throws(TokenError) -> [String: JSONValue] {
        guard let h = Base64URL.decode(encoded) else { throw TokenError(.encoding, "the header is not canonical base64url") }
        let value: JSONValue
        do { value = try JSONParser.parse(h) } catch { throw TokenError(.header, "the header is not valid JSON: \(error)") }
        guard let header = value.objectValue else { throw TokenError(.header, "the header is not a JSON object") }
        return header
    }

    static func split(_ u: UnsafeBufferPointer<UInt8>) -> ([UInt8], [UInt8], [UInt8], [UInt8])? {
        guard let first = u.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        guard let second = u[(first + 1)...].firstIndex(of: UInt8(ascii: ".")) else { return nil }
        guard u[(second + 1)...].firstIndex(of: UInt8(ascii: ".")) == nil else { return nil }
        return (Array(u[..<first]), Array(u[(first + 1)..<second]), Array(u[(second + 1)...]), Array(u[..<second]))
    }

    /// The header's `alg`.
    public var algorithm: String? { header["alg"]?.stringValue }
    /// The header's `kid`.
    public var keyID: String? { header["kid"]?.stringValue }

    /// Checks the header against the key set and the signature, and nothing else: the key
    /// named by `kid` decides the algorithm. With no `kid`, a set of exactly one key is used.
    /// - Returns: the key that verified.
    @discardableResult
    public func verifySignature(with keys: JWKS) throws(TokenError) -> VerificationKey {
        let key = try Self.key(for: header, in: keys)
        try Self.check(signature, of: signingInput, with: key)
        return key
    }

    /// The key a header names, after every header rule: no `alg: none`, no `crit`, no
    /// embedded keys, a known `kid`, and an `alg` equal to that key's one algorithm.
    public static func key(for header: [String: JSONValue], in keys: JWKS) throws(TokenError) -> VerificationKey {
        guard let alg = header["alg"] else { throw TokenError(.algorithm, "the header has no \"alg\"") }
        guard let algName = alg.stringValue else { throw TokenError(.algorithm, "the header's \"alg\" is not a string") }
        if algName.lowercased() == "none" {
            throw TokenError(.unsecured, "unsecured tokens (\"alg\":\"none\") are never accepted")
        }
        if header["crit"] != nil {
            throw TokenError(.critical, "the header lists critical extensions (\"crit\"), and none are supported")
        }
        if header["jwk"] != nil || header["jku"] != nil || header["x5u"] != nil || header["x5c"] != nil {
            // A key carried by the token itself proves nothing about who signed it.
            throw TokenError(.keyID, "the header carries its own key (jwk/jku/x5u/x5c); only keys from the key set are trusted")
        }
        let key: VerificationKey
        if let kidValue = header["kid"] {
            guard let kid = kidValue.stringValue else { throw TokenError(.keyID, "the header's \"kid\" is not a string") }
            guard let k = keys[kid] else { throw TokenError(.keyID, "no key with kid \(UntrustedText.quoted(kid)) in the key set") }
            key = k
        } else if keys.count == 1 {
            key = keys.keys[0]
        } else {
            throw TokenError(.keyID, "the header has no \"kid\" and the key set has \(keys.count) keys")
        }
        guard algName.hasSameBytes(as: key.algorithm.rawValue) else {
            throw TokenError(.algorithm, "the header says \(UntrustedText.quoted(algName)) but key \"\(key.kid)\" is a \(key.algorithm.rawValue) key")
        }
        return key
    }

    static func check(_ signature: [UInt8], of signingInput: [UInt8], with key: VerificationKey) throws(TokenError) {
        guard key.isValidSignature(signature, for: signingInput) else {
            throw TokenError(.signature, "the \(key.algorithm.rawValue) signature does not verify with key \"\(key.kid)\"")
        }
    }
}
