import Foundation
import LedgerCrypto
import LedgerTokens
import Testing

/// Project Wycheproof vectors (Tests/LedgerTokensTests/Vectors/wycheproof, Apache 2.0).
///
/// `valid` vectors must verify and `invalid` ones must not. The files used here contain
/// no `acceptable` vectors; if a future copy does, they are counted and must be refused
/// (AuthLedger is strict: a signature that is merely tolerable to some verifier is rejected).
struct WycheproofFile: Decodable {
    struct Group: Decodable {
        struct Key: Decodable {
            var wx: String?
            var wy: String?
            var pk: String?
        }
        var publicKey: Key?
        var tests: [Vector]
        var keySize: Int?
        var tagSize: Int?
    }
    struct Vector: Decodable {
        var tcId: Int
        var comment: String
        var msg: String
        var sig: String?
        var key: String?
        var tag: String?
        var result: String
    }
    var testGroups: [Group]

    static func load(_ name: String) throws -> WycheproofFile {
        let url = try #require(Bundle.module.url(forResource: "Vectors/wycheproof/" + name, withExtension: "json"))
        return try JSONDecoder().decode(WycheproofFile.self, from: Data(contentsOf: url))
    }
}

/// Wycheproof encodes big integers as signed two's-complement hex; strip the sign byte.
func coordinate(_ hex: String) -> [UInt8] {
    var b = [UInt8](hex: hex)!
    while b.count > 32 && b.first == 0 { b.removeFirst() }
    return [UInt8](repeating: 0, count: max(0, 32 - b.count)) + b
}

@Suite("Wycheproof")
struct WycheproofTests {
    struct Tally { var valid = 0, invalid = 0, acceptable = 0 }

    func expectOutcome(_ v: WycheproofFile.Vector, verified: Bool, _ tally: inout Tally) {
        switch v.result {
        case "valid": tally.valid += 1; #expect(verified, "tcId \(v.tcId) (\(v.comment)) should verify")
        case "invalid": tally.invalid += 1; #expect(!verified, "tcId \(v.tcId) (\(v.comment)) must not verify")
        default: tally.acceptable += 1; #expect(!verified, "tcId \(v.tcId) acceptable vectors are refused")
        }
    }

    @Test("ECDSA P-256 SHA-256, JOSE r‖s form (IEEE P1363): every vector")
    func ecdsaP1363() throws {
        let file = try WycheproofFile.load("ecdsa_secp256r1_sha256_p1363_test")
        var tally = Tally()
        for group in file.testGroups {
            let key = try P256.PublicKey(x: coordinate(group.publicKey!.wx!), y: coordinate(group.publicKey!.wy!))
            for v in group.tests {
                expectOutcome(v, verified: key.isValidSignature([UInt8](hex: v.sig!)!, for: [UInt8](hex: v.msg)!), &tally)
            }
        }
        #expect(tally.valid == 173 && tally.invalid == 89 && tally.acceptable == 0)
    }

    @Test("ECDSA P-256 SHA-256, DER form: conversion to JOSE never makes an invalid signature valid")
    func ecdsaDER() throws {
        let file = try WycheproofFile.load("ecdsa_secp256r1_sha256_test")
        var tally = Tally()
        for group in file.testGroups {
            let key = try P256.PublicKey(x: coordinate(group.publicKey!.wx!), y: coordinate(group.publicKey!.wy!))
            for v in group.tests {
                let verified = P256.joseSignature(fromDER: [UInt8](hex: v.sig!)!).map {
                    key.isValidSignature($0, for: [UInt8](hex: v.msg)!)
                } ?? false
                expectOutcome(v, verified: verified, &tally)
            }
        }
        #expect(tally.valid == 174 && tally.invalid == 310)
    }

    @Test("Ed25519: every vector")
    func ed25519() throws {
        let file = try WycheproofFile.load("ed25519_test")
        var tally = Tally()
        for group in file.testGroups {
            let key = try Ed25519.PublicKey(rawRepresentation: [UInt8](hex: group.publicKey!.pk!)!)
            for v in group.tests {
                expectOutcome(v, verified: key.isValidSignature([UInt8](hex: v.sig!)!, for: [UInt8](hex: v.msg)!), &tally)
            }
        }
        #expect(tally.valid == 88 && tally.invalid == 63)
    }

    @Test("HMAC-SHA-256: every vector; truncated tags are refused")
    func hmac() throws {
        let file = try WycheproofFile.load("hmac_sha256_test")
        var tally = Tally()
        for group in file.testGroups {
            for v in group.tests {
                let mac = HMACSHA256(unsafeShortKey: [UInt8](hex: v.key!)!)
                let tag = [UInt8](hex: v.tag!)!
                let msg = [UInt8](hex: v.msg)!
                if group.tagSize == 256 {
                    expectOutcome(v, verified: mac.isValid(tag: tag, for: msg), &tally)
                } else {
                    // Truncated-tag groups: AuthLedger never accepts a short tag, so even a
                    // correct prefix of the MAC is rejected; a valid vector's tag is that prefix.
                    #expect(!mac.isValid(tag: tag, for: msg))
                    if v.result == "valid" { #expect(Array(mac.authenticate(bytes: msg).prefix(tag.count)) == tag) }
                }
            }
        }
        #expect(tally.valid > 0 && tally.invalid > 0)
    }
}

@Suite("Wycheproof JWS")
struct WycheproofJWSTests {
    /// Vectors Wycheproof calls valid that AuthLedger refuses on purpose: the token has a
    /// character outside the base64url alphabet, which the issue's strictness rules forbid
    /// (a lenient decoder that skips it is exactly what lets tokens be varied).
    static let deliberatelyRefused: Set<Int> = [372, 373]

    /// Vectors whose data contradicts itself upstream (C2SP/wycheproof issue #236): their
    /// token is byte-identical to valid vector 357 but labelled invalid. They are checked to
    /// still be that duplicate, and otherwise skipped.
    static let mislabelledDuplicatesOf357: Set<Int> = [367, 370]

    @Test("HS256, ES256, base64url and ES256 special-case groups through the compact JWS verifier")
    func compactJWS() throws {
        let url = try #require(Bundle.module.url(forResource: "Vectors/wycheproof/json_web_signature_test", withExtension: "json"))
        // The file mixes key shapes, so it is read with the strict parser rather than Codable.
        let file = try JSONParser.parse([UInt8](Data(contentsOf: url)))
        var ran = 0
        var tokens: [Int: String] = [:]
        for group in file.objectValue!["testGroups"]!.arrayValue! {
            let g = group.objectValue!
            guard ["hs256", "es256", "base64", "SpecialCaseEs256"].contains(g["comment"]!.stringValue!) else { continue }
            let key: VerificationKey
            if let pub = g["public"] {
                key = try VerificationKey(jwk: pub)
            } else {
                let priv = try #require(g["private"]?.objectValue)
                key = try VerificationKey(kid: priv["kid"]!.stringValue!, sharedSecret: try #require(Base64URL.decode(priv["k"]!.stringValue!)))
            }
            for test in g["tests"]!.arrayValue! {
                let t = test.objectValue!
                let id = Int(t["tcId"]!.integerValue!)
                ran += 1
                tokens[id] = t["jws"]!.stringValue
                if Self.mislabelledDuplicatesOf357.contains(id) { continue }
                // JSON-serialised JWS vectors are not compact tokens: they must be refused.
                let verified = t["jws"]!.stringValue.map { (try? CompactJWS(parsing: $0).verifySignature(with: JWKS([key]))) != nil } ?? false
                if t["result"] == "valid" && !Self.deliberatelyRefused.contains(id) {
                    #expect(verified, "tcId \(id) \(t["comment"]!) should verify")
                } else {
                    #expect(!verified, "tcId \(id) \(t["comment"]!) must be refused")
                }
            }
        }
        #expect(ran == 17 + 15 + 21 + 24)
        for id in Self.mislabelledDuplicatesOf357 { #expect(tokens[id] != nil && tokens[id] == tokens[357]) }
    }
}
