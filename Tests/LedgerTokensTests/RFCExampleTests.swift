import LedgerCrypto
import LedgerTokens
import Testing

@Suite("RFC examples")
struct RFCExampleTests {
    @Test("RFC 7515 Appendix A.3: the ES256 example verifies, and a flipped bit does not")
    func rfc7515ES256() throws {
        let key = try VerificationKey(jwk: ["kty": "EC", "crv": "P-256",
                                            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                                            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"])
        let token = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"
        let jws = try CompactJWS(parsing: token)
        #expect(try jws.verifySignature(with: JWKS([key])) == key)
        #expect(String(decoding: jws.payload, as: UTF8.self).contains("\"iss\":\"joe\""))
        let tampered = String(token.dropLast()) + "A"
        #expect(throws: TokenError.self) { try CompactJWS(parsing: tampered).verifySignature(with: JWKS([key])) }
    }

    static let rfc8037Seed = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
    static let rfc8037Public = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    static let rfc8037Token = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"

    @Test("RFC 8037 Appendix A.4/A.5: the Ed25519 example verifies, and signing reproduces it exactly")
    func rfc8037Ed25519() throws {
        let key = try VerificationKey(jwk: ["kty": "OKP", "crv": "Ed25519", "x": .string(Self.rfc8037Public)])
        let jws = try CompactJWS(parsing: Self.rfc8037Token)
        #expect(try jws.verifySignature(with: JWKS([key])).algorithm == .eddsa)
        #expect(String(decoding: jws.payload, as: UTF8.self) == "Example of Ed25519 signing")
        // Ed25519 is deterministic: our signer must produce the RFC's exact signature.
        let signer = try Ed25519.SigningKey(seed: try #require(Base64URL.decode(Self.rfc8037Seed)))
        #expect(try signer.publicKey.rawRepresentation == Base64URL.decode(Self.rfc8037Public))
        #expect(Base64URL.encode(try signer.signature(for: jws.signingInput)) == String(Self.rfc8037Token.split(separator: ".")[2]))
        // RFC 8037 Appendix A.3: the key's thumbprint.
        #expect(JWKThumbprint.of(key) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
    }
}
