import LedgerCrypto

/// RFC 9162's leaf and node hashes over one reusable SHA-256 context: the prefix byte and
/// the children are fed to the digest in place, so hashing a node allocates nothing. Not
/// thread-safe (it owns a ``SHA256``): one per thread or per call.
public struct MerkleHasher {
    private let sha: SHA256

    public init(_ sha: SHA256 = SHA256()) { self.sha = sha }

    /// SHA-256(0x00 ‖ data).
    package func leaf(_ data: UnsafeRawBufferPointer) -> SHA256Digest {
        var prefix: UInt8 = 0x00
        return withUnsafeBytes(of: &prefix) { sha.hash($0, data) }
    }

    /// SHA-256(0x00 ‖ data).
    public func leaf<Bytes: ByteStorage>(_ data: Bytes) -> SHA256Digest { data.withUnsafeBytes { leaf($0) } }

    /// SHA-256(0x01 ‖ left ‖ right).
    public func node(_ left: SHA256Digest, _ right: SHA256Digest) -> SHA256Digest {
        var prefix: UInt8 = 0x01
        return withUnsafeBytes(of: &prefix) { p in left.withUnsafeBytes { l in right.withUnsafeBytes { r in sha.hash(p, l, r) } } }
    }
}
