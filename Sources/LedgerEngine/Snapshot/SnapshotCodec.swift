import LedgerCrypto
import LedgerEvents
import LedgerLog

/// The byte layout of a projection snapshot (format 1), documented in `docs/SNAPSHOTS.md`.
///
///     magic "ALSNAP\r\n" (8) ‖ format u32 ‖ log position u64 ‖ chain hash (32) ‖ body length u64
///     ‖ body ‖ SHA-256 of everything before it (32)
enum SnapshotCodec {
    static let magic: [UInt8] = Array("ALSNAP\r\n".utf8)
    static let format: UInt32 = 1
    static let headerSize = 8 + 4 + 8 + 32 + 8

    struct Header: Equatable {
        var position: UInt64
        var chainHash: SHA256Digest
        var bodyLength: UInt64
    }

    static func encode(_ p: Projection, chainHash: SHA256Digest) -> [UInt8] {
        var body = ByteWriter(capacity: 64 + p.sessions.count * 96)
        body.i64(p.revocationSlackSeconds)
        body.i64(p.time.microseconds)
        body.u64(UInt64(p.sessions.count))
        for s in p.sessions.values {
            body.sessionID(s.id)
            body.string(s.user)
            body.string(s.device.label)
            body.string(s.device.userAgent)
            body.ip(s.device.ip)
            body.u32(s.lifetimes.accessToken); body.u32(s.lifetimes.refreshToken)
            body.u32(s.lifetimes.idleTimeout); body.u32(s.lifetimes.absolute)
            body.i64(s.createdAt.microseconds); body.i64(s.lastSeenAt.microseconds); body.i64(s.rotatedAt.microseconds)
            body.ip(s.lastIP)
            body.u32(s.generation)
        }
        body.u64(UInt64(p.users.count))
        for (name, u) in p.users {
            body.string(name)
            body.u8(u.banned ? 1 : 0)
            body.varint(UInt64(u.sessions.count))
            for id in u.sessions { body.sessionID(id) }
            body.varint(UInt64(u.devices.count))
            for d in u.devices { body.u64(d) }
        }
        let revocations = p.revoked.pending
        body.u64(UInt64(revocations.count))
        for (id, t) in revocations {
            body.sessionID(id)
            body.i64(t.microseconds)
        }
        var out = ByteWriter(capacity: headerSize + body.bytes.count + 32)
        out.raw(magic)
        out.u32(format)
        out.u64(p.position)
        out.raw(chainHash.bytes)
        out.u64(UInt64(body.bytes.count))
        out.raw(body.bytes)
        out.raw(SHA256.hash(out.bytes).bytes)
        return out.bytes
    }

    /// Reads and checks the header and the checksum; never trusts a length it has not bounded.
    static func header(_ bytes: [UInt8]) throws(SnapshotError) -> Header {
        guard bytes.count >= headerSize + 32 else { throw SnapshotError("truncated: \(bytes.count) bytes is shorter than any snapshot") }
        guard Array(bytes[0..<8]) == magic else { throw SnapshotError("not a snapshot (bad magic number)") }
        let result = bytes.withUnsafeBytes { raw in Result { () throws(SnapshotError) -> Header in
            let format = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            guard format == Self.format else { throw SnapshotError("snapshot format \(format) is not supported (this build reads \(Self.format))") }
            let position = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
            let hash = SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: raw[20..<52]))!
            let length = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 52, as: UInt64.self))
            guard length == UInt64(bytes.count - headerSize - 32) else {
                throw SnapshotError("truncated or padded: the header announces \(length) body bytes, the file holds \(bytes.count - headerSize - 32)")
            }
            let stored = SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: raw[(bytes.count - 32)...]))!
            let computed = SHA256.hash(UnsafeRawBufferPointer(rebasing: raw[..<(bytes.count - 32)]))
            guard stored == computed else { throw SnapshotError("checksum mismatch: the file is corrupt") }
            return Header(position: position, chainHash: hash, bodyLength: length)
        } }
        return try result.get()
    }

    static func decode(_ bytes: [UInt8]) throws(SnapshotError) -> (Header, Projection) {
        let h = try header(bytes)
        do {
            return try bytes.withUnsafeBytes { raw in
                var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[headerSize..<(bytes.count - 32)]))
                var p = Projection(revocationSlackSeconds: try r.i64())
                let time = Timestamp(microseconds: try r.i64())
                let sessionCount = try r.u64()
                var sessions: [SessionID: SessionRecord] = [:]
                sessions.reserveCapacity(Int(min(sessionCount, 1 << 26)))
                for _ in 0..<sessionCount {
                    let id = try r.sessionID()
                    let user = try r.string()
                    let device = Device(label: try r.string(), userAgent: try r.string(), ip: try r.ip())
                    let lifetimes = SessionLifetimes(accessToken: try r.u32(), refreshToken: try r.u32(), idleTimeout: try r.u32(), absolute: try r.u32())
                    let created = Timestamp(microseconds: try r.i64()), seen = Timestamp(microseconds: try r.i64()), rotated = Timestamp(microseconds: try r.i64())
                    sessions[id] = SessionRecord(id: id, user: user, device: device, lifetimes: lifetimes, createdAt: created,
                                                 lastSeenAt: seen, lastIP: try r.ip(), generation: try r.u32(), rotatedAt: rotated)
                }
                let userCount = try r.u64()
                var users: [String: UserRecord] = [:]
                users.reserveCapacity(Int(min(userCount, 1 << 26)))
                for _ in 0..<userCount {
                    let name = try r.string()
                    var u = UserRecord()
                    u.banned = try r.u8() == 1
                    for _ in 0..<(try r.varint()) { u.sessions.append(try r.sessionID()) }
                    for _ in 0..<(try r.varint()) { u.devices.append(try r.u64()) }
                    users[name] = u
                }
                var revoked: [(SessionID, Timestamp)] = []
                for _ in 0..<(try r.u64()) { revoked.append((try r.sessionID(), Timestamp(microseconds: try r.i64()))) }
                try r.expectEnd()
                p.restore(sessions: sessions, users: users, revoked: revoked, time: time, position: h.position)
                return (h, p)
            }
        } catch let e as SnapshotError { throw e } catch {
            throw SnapshotError("the body does not decode: \(error)")
        }
    }
}

/// Why a snapshot cannot be used.
public struct SnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}
