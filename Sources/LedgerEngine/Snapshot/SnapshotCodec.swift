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
        var body = ByteWriter(capacity: 256 + p.sessions.count * 64 + p.users.count * 48)
        body.i64(p.revocationSlackSeconds)
        body.i64(p.time.microseconds)
        body.i64(p.nextSweep.microseconds)
        // Interning tables first, then fixed-size session records that refer to them.
        body.u64(UInt64(p.names.strings.count))
        for s in p.names.strings { body.string(s) }
        body.u64(UInt64(p.devices.devices.count))
        for d in p.devices.devices { body.string(d.label); body.string(d.userAgent) }
        body.u64(UInt64(p.devices.lifetimes.count))
        for l in p.devices.lifetimes { body.u32(l.accessToken); body.u32(l.refreshToken); body.u32(l.idleTimeout); body.u32(l.absolute) }
        body.u64(UInt64(p.sessions.count))
        for (id, s) in p.sessions {
            body.sessionID(id)
            body.i64(s.createdAt); body.i64(s.rotatedAt)
            body.u64(s.lastIP.hi); body.u64(s.lastIP.lo)
            body.u32(s.user); body.u32(s.device); body.u32(s.generation); body.u32(UInt32(s.lifetimes))
        }
        body.u64(UInt64(p.users.count))
        for (id, u) in p.users.nonEmpty {
            body.string(p.names[id])
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
                let nextSweep = Timestamp(microseconds: try r.i64())
                // A count is believed only if the bytes left could hold that many entries
                // (`minimumBytes` each), so a doctored count cannot make us allocate wildly.
                func count(_ what: String, minimumBytes: Int, max: UInt64 = 1 << 32) throws -> Int {
                    let n = try r.u64()
                    guard n <= max, n <= UInt64(r.remaining / minimumBytes) else {
                        throw SnapshotError("implausible \(what) count \(n) for \(r.remaining) remaining bytes")
                    }
                    return Int(n)
                }
                var strings: [String] = []
                for _ in 0..<(try count("user name", minimumBytes: 1)) { strings.append(try r.string()) }
                var devices: [Device] = []
                for _ in 0..<(try count("device", minimumBytes: 2)) { devices.append(Device(label: try r.string(), userAgent: try r.string())) }
                var lifetimes: [SessionLifetimes] = []
                for _ in 0..<(try count("lifetime", minimumBytes: 16, max: 65_535)) {
                    lifetimes.append(SessionLifetimes(accessToken: try r.u32(), refreshToken: try r.u32(), idleTimeout: try r.u32(), absolute: try r.u32()))
                }
                let sessionCount = try count("session", minimumBytes: 64)
                var sessions = SessionTable()
                sessions.reserveCapacity(sessionCount)
                for _ in 0..<sessionCount {
                    let id = try r.sessionID()
                    let created = try r.i64(), rotated = try r.i64()
                    let ip = PackedIP(hi: try r.u64(), lo: try r.u64())
                    let user = try r.u32(), device = try r.u32(), generation = try r.u32(), life = try r.u32()
                    guard Int(user) < strings.count, Int(device) < devices.count, Int(life) < lifetimes.count else {
                        throw SnapshotError("a session refers to a table entry that does not exist")
                    }
                    sessions[id] = PackedSession(createdAt: created, rotatedAt: rotated, lastIP: ip, user: user, device: device,
                                                 generation: generation, lifetimes: UInt16(life))
                }
                let userCount = try count("user", minimumBytes: 3)
                var users: [(name: String, record: UserRecord)] = []
                users.reserveCapacity(userCount)
                for _ in 0..<userCount {
                    let name = try r.string()
                    var u = UserRecord()
                    u.banned = try r.u8() == 1
                    for _ in 0..<(try r.varint()) { u.sessions.append(try r.sessionID()) }
                    for _ in 0..<(try r.varint()) { u.devices.append(try r.u64()) }
                    users.append((name, u))
                }
                var revoked: [(SessionID, Timestamp)] = []
                for _ in 0..<(try count("revocation", minimumBytes: 24)) { revoked.append((try r.sessionID(), Timestamp(microseconds: try r.i64()))) }
                try r.expectEnd()
                p.restore(sessions: sessions, users: users, names: StringTable(strings), devices: DeviceTable(devices: devices, lifetimes: lifetimes),
                          revoked: revoked, time: time, nextSweep: nextSweep, position: h.position)
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

