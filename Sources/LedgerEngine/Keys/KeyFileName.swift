/// What a name in `DATA/keys/` stands for. The rules are strict because a loose reading
/// changes which tokens verify: `refresh-01.key` taken for key 1 would replace key 1, and a
/// misnamed key silently skipped would let a new key 1 be created in its place.
enum KeyFileName: Equatable {
    /// `refresh-<n>.key`, with n written in canonical decimal: 1…255, no sign, no leading zero.
    case refreshKey(UInt8)
    /// Named like a refresh-token key but without a canonical number (`refresh-01.key`,
    /// `refresh-+1.key`, `refresh-0.key`, `refresh-256.key`): start-up refuses it.
    case malformedRefreshKey
    /// `log.pem`: the log's checkpoint-signing key (``LogKey``).
    case logKey
    /// The temporary file of a write that was interrupted (`<name>.tmp-<suffix>`): never read.
    case temporary
    /// `<kid>.pem` and anything else: read only by kid, when the log names the key.
    case other

    init(_ name: String) {
        if name.contains(".tmp-") {
            self = .temporary
        } else if name == LogKey.fileName {
            self = .logKey
        } else if name.hasPrefix("refresh-") && name.hasSuffix(".key") {
            self = Self.number(name.dropFirst("refresh-".count).dropLast(".key".count)).map(Self.refreshKey) ?? .malformedRefreshKey
        } else {
            self = .other
        }
    }

    /// The name of refresh-token key `id`.
    static func refreshKey(id: UInt8) -> String { "refresh-\(id).key" }

    private static func number(_ digits: Substring) -> UInt8? {
        guard let first = digits.first, first != "0", digits.count <= 3,
              digits.allSatisfy({ ("0"..."9").contains($0) }), let n = Int(digits), n <= 255 else { return nil }
        return UInt8(n)
    }

    /// Whether `kid` can name a file in `keys/` (kids are RFC 7638 thumbprints: base64url).
    static func isUsable(kid: String) -> Bool {
        // "log" would make `<kid>.pem` the log key's file.
        !kid.isEmpty && kid != "log" && kid.utf8.count <= 128
            && kid.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_") }
    }
}
