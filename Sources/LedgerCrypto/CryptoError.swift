import CCrypto

/// An error from a cryptographic operation, carrying libcrypto's own reason when it gave one.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Key bytes or a key file could not be read as the expected kind of key.
        case invalidKey
        /// A signature has the wrong length or encoding, or a value out of range.
        case malformedSignature
        /// libcrypto failed at something that should not fail (out of memory, provider missing).
        case library
        /// A file could not be read or written.
        case io
        /// Authenticated decryption refused its input: the wrong key, or changed bytes.
        case authenticationFailed
        /// A parameter outside what the operation accepts (an IV of the wrong length, a
        /// negative offset).
        case invalidArgument
    }

    public let kind: Kind
    /// What was being done, and why it failed.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// An error for a failed libcrypto call, with the library's queued reason appended.
    static func library(_ what: String, kind: Kind = .library) -> CryptoError {
        CryptoError(kind, what + openSSLReason())
    }

    public var description: String { message }
}

/// Drains libcrypto's thread-local error queue into text (so a later call does not see a
/// stale error), e.g. ": error:1E08010C:DECODER routines::unsupported".
func openSSLReason() -> String {
    var reasons: [String] = []
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        var buf = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buf, buf.count)
        reasons.append(String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")"
}

/// Clears libcrypto's error queue, after a failure that is an expected answer (a bad signature).
func clearOpenSSLErrors() { ERR_clear_error() }
