import FuzzSupport
import LedgerCodec
import LedgerServer
import LedgerTokens

/// The server's request-body readers, once the body is collected: the strict JSON object
/// reader (read as a login is: two strings, two optional strings, an optional object, no
/// unknown member) and the form body parser (token introspection and revocation). Every
/// input is refused with a problem document's error, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestBody(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    if var body = try? JSONObjectReader.parse(bytes) {
        _ = try? body.string("user")
        _ = try? body.string("device_label")
        _ = try? body.optionalString("user_agent")
        if let ip = try? body.optionalString("client_ip") { _ = IPAddress(ip) }
        _ = try? body.optionalObject("claims")
        _ = try? body.optionalBool("revoke_others")
        _ = try? body.optionalStringList("scopes")
        _ = try? body.finish()
    }
    if let form = try? FormBody.parse(bytes) {
        if let token = form["token"] { _ = try? FixedKeys.refreshCodec.authenticate(token) }
    }
    return 0
}
