import FuzzSupport
import LedgerCodec

/// The record decoder: every input is a stored record (envelope, user, payload, chain hash)
/// read through `RecordView` and decoded into a `LoggedEvent` (the `AuthEvent` payload
/// decoders), then rendered as `authledger audit` and `tail` print it. Anything malformed
/// is a `RecordError` or an `EventDecodingError`, never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = fuzzInput(data, size)
    let decoded: LoggedEvent? = bytes.withUnsafeBytes { raw in
        guard let view = try? RecordView(position: 7, bytes: raw) else { return nil }
        _ = view.user
        _ = view.chainHash
        _ = view.belongs(to: "alice")
        return try? LoggedEvent(view: view)
    }
    let record = EventRecord(position: 7, storedBytes: bytes)
    let again = try? LoggedEvent(record)
    precondition(again == decoded, "EventRecord and RecordView decode differently")
    if let decoded {
        _ = decoded.event.summary
        _ = decoded.textLine
        _ = decoded.event.session
        _ = record.payload
        // What decoded encodes again, and is valid to append.
        let pending = decoded.event.pending(user: decoded.user, at: decoded.timestamp)
        do { try pending.validate() } catch { preconditionFailure("a decoded event does not validate again: \(error)") }
    }
    return 0
}
