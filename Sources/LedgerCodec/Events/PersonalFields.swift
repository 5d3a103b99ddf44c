import LedgerCrypto

/// A personal text field (a device label, a user agent) as an event holds it.
///
/// Schema 1 records hold it in clear. Schema 2 records hold AES-256-CTR ciphertext under
/// the user's data key, exactly as long as the UTF-8 text; only the engine, holding the
/// key, turns it back into text. Layouts and key-stream offsets: `docs/EVENTS.md`,
/// "Personal data".
public enum PersonalText: Sendable, Hashable, CustomStringConvertible {
    /// As written by schema 1 (or revealed with the user's key).
    case clear(String)
    /// As written by schema 2: ciphertext, to be revealed with the user's key.
    case sealed([UInt8])
    /// Revealed without a key: the user was forgotten. Only ever produced for display;
    /// never encoded.
    case erased

    /// The text, if it is in clear.
    public var text: String? { if case let .clear(s) = self { s } else { nil } }

    // By bytes, not canonical equivalence, as ``Device`` compares its strings.
    public static func == (a: PersonalText, b: PersonalText) -> Bool {
        switch (a, b) {
        case let (.clear(x), .clear(y)): x.hasSameBytes(as: y)
        case let (.sealed(x), .sealed(y)): x == y
        case (.erased, .erased): true
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case let .clear(s): hasher.combine(0); hasher.combine(ExactString(s))
        case let .sealed(b): hasher.combine(1); hasher.combine(b)
        case .erased: hasher.combine(2)
        }
    }

    /// Quoted text when clear; `(encrypted)` or `(erased)` otherwise, bare, so a value
    /// can never pass for either marker.
    public var description: String {
        switch self {
        case let .clear(s): TextEscaping.quoted(s)
        case .sealed: "(encrypted)"
        case .erased: "(erased)"
        }
    }
}

/// A personal address as an event holds it.
///
/// Schema 2 keeps the family in clear and encrypts the address bytes (4 or 16) in counter
/// mode, so the sealed form is itself an ``IPAddress`` value of the same family whose bits
/// are ciphertext: it is stored in the same bytes, and a rotation record is exactly as
/// long as in schema 1.
public enum PersonalAddress: Sendable, Hashable, CustomStringConvertible {
    /// As written by schema 1 (or revealed with the user's key).
    case clear(IPAddress)
    /// As written by schema 2: the family in clear, the address bits encrypted.
    case sealed(IPAddress)
    /// Revealed without a key (the user was forgotten). Display only; never encoded.
    case erased

    /// The address, if it is in clear.
    public var address: IPAddress? { if case let .clear(a) = self { a } else { nil } }

    /// The address as the record stores it (ciphertext bits when sealed).
    public var stored: IPAddress {
        switch self {
        case let .clear(a), let .sealed(a): a
        case .erased: .unknown
        }
    }

    /// Whether it is ciphertext.
    public var isSealed: Bool { if case .sealed = self { true } else { false } }


    public var description: String {
        switch self {
        case let .clear(a): a.description
        case let .sealed(a): a == .unknown ? IPAddress.unknown.description : "(encrypted)"
        case .erased: "(erased)"
        }
    }
}

extension ByteWriter {
    /// Schema 2: a varint length, then the ciphertext (empty for an erased value).
    mutating func sealed(_ t: PersonalText) {
        switch t {
        case let .sealed(b): lengthPrefixed(b)
        // The engine seals every field of a schema 2 event before encoding it; a clear
        // value here is a bug, and is written as it is rather than trapping the writer.
        case let .clear(s): assertionFailure("a clear field in a schema 2 event"); string(s)
        case .erased: varint(0)
        }
    }

    /// Schema 2: the family byte, then the encrypted address bytes.
    mutating func sealed(_ a: PersonalAddress) {
        switch a {
        case let .sealed(ip): self.ip(ip)
        case let .clear(ip): assertionFailure("a clear address in a schema 2 event"); self.ip(ip)
        case .erased: u8(0)
        }
    }
}

extension ByteWriter {
    /// An address as its schema dictates: the same bytes whether clear or sealed.
    mutating func address(_ a: PersonalAddress) {
        switch a {
        case let .clear(ip), let .sealed(ip): self.ip(ip)
        case .erased: u8(0)
        }
    }
}

extension ByteReader {
    mutating func sealedText(max: Int) throws(PayloadError) -> PersonalText {
        .sealed(try lengthPrefixed(max: max))
    }
}
