import FuzzSupport
import LedgerTokens

/// The compact JWS parser and the access-token verifier, with a fixed JWKS: every input
/// is parsed, verified and reported on (the `authledger token` path), and must be refused
/// with a `TokenError`, never trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJWT(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let token = String(decoding: fuzzInput(data, size), as: UTF8.self)
    if let jws = try? CompactJWS(parsing: token) {
        _ = jws.algorithm
        _ = jws.keyID
        _ = try? jws.verifySignature(with: FixedKeys.jwks)
    }
    if let claims = try? FixedKeys.verifier.verify(token, now: FixedKeys.now) {
        // Verified means every check passed, so the report must agree.
        precondition(FixedKeys.verifier.report(token, now: FixedKeys.now).passed, "verify accepted what report refuses: \(claims)")
    } else {
        _ = FixedKeys.verifier.report(token, now: FixedKeys.now)
    }
    return 0
}
