import LedgerCrypto

/// A key that verifies signatures, with its key id and its one algorithm: the token's
/// header never chooses the algorithm, the key does.
public struct VerificationKey: Sendable, Equatable {
    enum Material: Sendable, Equatable {
        case p256(P256.PublicKey)
        case ed25519(Ed25519.PublicKey)
        case hmac(HMACSHA256, secretDigest: SHA256Digest)
        static func == (a: Material, b: Material) -> Bool {
            switch (a, b) {
            case let (.p256(x), .p256(y)): return x == y
            case let (.ed25519(x), .ed25519(y)): return x == y
            case let (.hmac(_, x), .hmac(_, y)): return x == y
            default: return false
            }
        }
    }

    public let kid: String
    public let algorithm: JWSAlgorithm
    let material: Material

    public init(kid: String, p256 key: P256.PublicKey) {
        self.kid = kid; algorithm = .es256; material = .p256(key)
    }

    public init(kid: String, ed25519 key: Ed25519.PublicKey) {
        self.kid = kid; algorithm = .eddsa; material = .ed25519(key)
    }

    /// An HS256 key. Only for deployments that explicitly chose a shared secret.
    public init(kid: String, sharedSecret: [UInt8]) throws(CryptoError) {
        self.kid = kid
        algorithm = .hs256
        material = .hmac(try HMACSHA256(key: sharedSecret), secretDigest: SHA256.hash(sharedSecret))
    }

    init(kid: String, algorithm: JWSAlgorithm, material: Material) {
        self.kid = kid; self.algorithm = algorithm; self.material = material
    }

    /// The same key under another key id.
    public func withKID(_ kid: String) -> VerificationKey {
        VerificationKey(kid: kid, algorithm: algorithm, material: material)
    }

    /// Whether `signature` is this key's signature of `signingInput` (`header.payload`).
    public func isValidSignature<S: ByteStorage, M: ByteStorage>(_ signature: S, for signingInput: M) -> Bool {
        switch material {
        case let .p256(k): return k.isValidSignature(signature, for: signingInput)
        case let .ed25519(k): return k.isValidSignature(signature, for: signingInput)
        case let .hmac(mac, _):
            return mac.isValid(tag: signature, for: signingInput)
        }
    }

    /// The public JWK (RFC 7517; RFC 8037 for Ed25519), or nil for a shared secret,
    /// which is never published.
    public var jwk: JSONValue? {
        switch material {
        case let .p256(k):
            return ["kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(k.x)), "y": .string(Base64URL.encode(k.y)),
                    "kid": .string(kid), "alg": "ES256", "use": "sig"]
        case let .ed25519(k):
            return ["kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(k.rawRepresentation)),
                    "kid": .string(kid), "alg": "EdDSA", "use": "sig"]
        case .hmac:
            return nil
        }
    }

    /// Reads a public JWK. Refuses private members, symmetric keys, keys restricted to
    /// other uses, unknown curves and an `alg` that does not fit the key type.
    public init(jwk: JSONValue) throws(KeyError) {
        guard let o = jwk.objectValue else { throw KeyError("a JWK must be a JSON object") }
        func string(_ name: String) throws(KeyError) -> String? {
            guard let v = o[name] else { return nil }
            guard let s = v.stringValue else { throw KeyError("JWK member \"\(name)\" must be a string") }
            return s
        }
        func bytes(_ name: String, count: Int) throws(KeyError) -> [UInt8] {
            guard let s = try string(name), let b = Base64URL.decode(s) else {
                throw KeyError("JWK member \"\(name)\" is missing or not base64url")
            }
            guard b.count == count else { throw KeyError("JWK member \"\(name)\" must be \(count) bytes; got \(b.count)") }
            return b
        }
        for secret in ["d", "p", "q", "dp", "dq", "qi", "k"] where o[secret] != nil {
            throw KeyError("the JWK contains private or secret member \"\(secret)\"; publish only public keys")
        }
        if let use = try string("use"), use != "sig" { throw KeyError("the JWK's \"use\" is \"\(use)\", not \"sig\"") }
        if let ops = o["key_ops"] {
            guard let list = ops.arrayValue?.compactMap(\.stringValue), list.contains("verify") else {
                throw KeyError("the JWK's \"key_ops\" does not allow \"verify\"")
            }
        }
        let kid = try string("kid") ?? ""
        let alg = try string("alg")
        switch try string("kty") {
        case "EC":
            guard try string("crv") == "P-256" else { throw KeyError("only the P-256 curve is supported for EC keys") }
            guard alg == nil || alg == "ES256" else { throw KeyError("an EC P-256 key can only be used with ES256, not \(alg!)") }
            let x = try bytes("x", count: 32), y = try bytes("y", count: 32)
            do { self.init(kid: kid, p256: try P256.PublicKey(x: x, y: y)) } catch { throw KeyError("invalid P-256 key: \(error)") }
        case "OKP":
            guard try string("crv") == "Ed25519" else { throw KeyError("only the Ed25519 curve is supported for OKP keys") }
            guard alg == nil || alg == "EdDSA" else { throw KeyError("an Ed25519 key can only be used with EdDSA, not \(alg!)") }
            let x = try bytes("x", count: 32)
            do { self.init(kid: kid, ed25519: try Ed25519.PublicKey(rawRepresentation: x)) } catch { throw KeyError("invalid Ed25519 key: \(error)") }
        case let other:
            throw KeyError("unsupported key type \(other.map { "\"\($0)\"" } ?? "(missing kty)"); expected EC P-256 or OKP Ed25519")
        }
    }
}

/// A key that cannot be used, and why.
public struct KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
