import FuzzSupport
import LedgerEngine

/// The snapshot body decoder, past the MAC (which would refuse every mutated input before
/// the parser): every count, index and cross-reference is checked, so a damaged or hostile
/// body is a `SnapshotError`, never a trap or a wild allocation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSnapshotBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    if let projection = try? SnapshotCodec.decodeBody(unauthenticated: bytes, position: 1_000) {
        // A loaded projection answers questions: the digest walks all of it.
        _ = projection.digest
    }
    return 0
}
