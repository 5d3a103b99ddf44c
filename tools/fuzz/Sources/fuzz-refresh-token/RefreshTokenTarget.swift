import FuzzSupport
import LedgerTokens

/// The refresh-token parser: every input is authenticated against keys 1 and 2 and refused
/// with a `RefreshTokenError` unless it is a token they minted. The input's first 28 bytes
/// also mint a token, which must authenticate to the same session and generation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRefreshToken(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    _ = try? FixedKeys.refreshCodec.authenticate(String(decoding: bytes, as: UTF8.self))
    if bytes.count >= 20 {
        let word = { (range: Range<Int>) in bytes[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        let high = word(0..<8), low = word(8..<16), generation = UInt32(truncatingIfNeeded: word(16..<20))
        let minted = FixedKeys.refreshCodec.token(sessionHigh: high, sessionLow: low, generation: generation)
        guard let back = try? FixedKeys.refreshCodec.authenticate(minted) else { preconditionFailure("a minted token is refused: \(minted)") }
        precondition(back.sessionHigh == high && back.sessionLow == low && back.generation == generation && back.keyID == 1,
                     "a minted token reads back differently: \(minted)")
    }
    return 0
}
