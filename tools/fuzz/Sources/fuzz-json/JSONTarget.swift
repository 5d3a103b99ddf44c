import FuzzSupport
import LedgerTokens

/// The JSON parser (token headers and payloads, JWKS documents, request bodies): every input
/// parses or fails with a `JSONParser.Failure`; what parses writes back out and parses again
/// to the same value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    guard let value = try? JSONParser.parse(bytes) else { return 0 }
    var written: [UInt8] = []
    value.write(into: &written)
    // Writing adds no nesting, so the depth limit that admitted it admits it again.
    guard let again = try? JSONParser.parse(written) else {
        preconditionFailure("written JSON does not parse again: \(String(decoding: written, as: UTF8.self))")
    }
    precondition(again == value, "JSON changed on a round trip: \(String(decoding: written, as: UTF8.self))")
    _ = try? JWKS.parse(bytes)
    return 0
}
