import LedgerCrypto

/// A JSON Web Key Set (RFC 7517 §5): the public keys that verify tokens, by key id.
public struct JWKS: Sendable, Equatable {
    // By the kid's exact bytes: a token whose `kid` is merely canonically equivalent to a
    // published one names another key, which does not exist.
    private var byKID: [ExactString: VerificationKey]

    public init(_ keys: [VerificationKey] = []) {
        byKID = Dictionary(keys.map { (ExactString($0.kid), $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The key whose kid has exactly these bytes.
    public subscript(kid: String) -> VerificationKey? { byKID[ExactString(kid)] }

    /// The keys, ordered by the bytes of their kids.
    public var keys: [VerificationKey] { kids.map { byKID[ExactString($0)]! } }
    /// The kids, in byte order.
    public var kids: [String] { byKID.keys.map(\.string).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    public var count: Int { byKID.count }

    public mutating func insert(_ key: VerificationKey) { byKID[ExactString(key.kid)] = key }
    public mutating func remove(kid: String) { byKID[ExactString(kid)] = nil }

    /// `{"keys":[…]}` with keys ordered by kid. Shared secrets are never included.
    public var document: JSONValue {
        .object(["keys": .array(keys.compactMap(\.jwk))])
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
            guard set[key.kid] == nil else { throw KeyError("two keys share kid \"\(key.kid)\"") }
            set.insert(key)
        }
        return (set, skipped)
    }
}
