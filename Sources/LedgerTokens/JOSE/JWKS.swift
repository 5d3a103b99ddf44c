/// A JSON Web Key Set (RFC 7517 §5): the public keys that verify tokens, by key id.
public struct JWKS: Sendable, Equatable {
    public private(set) var keys: [String: VerificationKey]

    public init(_ keys: [VerificationKey] = []) {
        self.keys = Dictionary(keys.map { ($0.kid, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public subscript(kid: String) -> VerificationKey? { keys[kid] }

    public mutating func insert(_ key: VerificationKey) { keys[key.kid] = key }
    public mutating func remove(kid: String) { keys[kid] = nil }

    /// `{"keys":[…]}` with keys ordered by kid. Shared secrets are never included.
    public var document: JSONValue {
        .object(["keys": .array(keys.keys.sorted().compactMap { keys[$0]!.jwk })])
    }

    /// Parses a JWKS document. Keys AuthLedger cannot use (other types, other uses) are
    /// skipped and reported in `skipped`; a document with duplicate kids is refused.
    public static func parse(_ json: [UInt8]) throws(KeyError) -> (keys: JWKS, skipped: [String]) {
        let value: JSONValue
        do { value = try JSONParser.parse(json) } catch { throw KeyError("the JWKS is not valid JSON: \(error)") }
        guard let list = value.objectValue?["keys"]?.arrayValue else { throw KeyError("a JWKS needs a \"keys\" array") }
        var set = JWKS()
        var skipped: [String] = []
        for (i, entry) in list.enumerated() {
            let key: VerificationKey
            do { key = try VerificationKey(jwk: entry) } catch {
                skipped.append("key \(i): \(error.reason)")
                continue
            }
            // Two keys under one kid would let the document's order pick the key.
            guard set.keys[key.kid] == nil else { throw KeyError("two keys share kid \"\(key.kid)\"") }
            set.insert(key)
        }
        return (set, skipped)
    }
}
