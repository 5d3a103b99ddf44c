import LedgerCrypto
import LedgerCodec
import LedgerLog

/// The byte layout of a projection snapshot (format 3), documented in `docs/SNAPSHOTS.md`.
///
///     magic "ALSNAP\r\n" (8) ‖ format u32 ‖ log position u64 ‖ chain hash (32) ‖ body length u64
///     ‖ body ‖ HMAC-SHA-256 under the snapshot key of everything before it (32)
///
/// A plain checksum would only catch accidents: whoever can write the file can recompute
/// it. The MAC needs the key in `keys/`, so a snapshot that lifts a ban or resurrects a
/// session cannot be forged by someone who can only write `snapshots/`.
package enum SnapshotCodec {
    static let magic: [UInt8] = Array("ALSNAP\r\n".utf8)
    static let format: UInt32 = 3
    static let headerSize = 8 + 4 + 8 + 32 + 8
    static let macSize = 32
    /// Revocations are remembered for an access-token lifetime plus this; more than a u32 of
    /// seconds is no leeway any configuration uses, and would overflow the arithmetic.
    static let maximumSlackSeconds = Int64(UInt32.max)

    struct Header: Equatable {
        var position: UInt64
        var chainHash: SHA256Digest
        var bodyLength: UInt64
    }

    static func encode(_ p: Projection, chainHash: SHA256Digest, key: SnapshotKey) -> [UInt8] {
        var body = ByteWriter(capacity: 256 + p.sessions.count * 73 + p.users.count * 48)
        body.i64(p.revocationSlackSeconds)
        body.i64(p.time.microseconds)
        body.i64(p.nextSweep.microseconds)
        // Interning tables first, then fixed-size session records that refer to them.
        body.u64(UInt64(p.names.strings.count))
        for s in p.names.strings { body.string(s) }
        body.u64(UInt64(p.devices.devices.count))
        // Only devices of schema 1 logins, which the log holds in clear too; a sealed login's
        // device is not in the projection at all (see `SessionRecord.device`).
        for d in p.devices.devices { body.string(d.label); body.string(d.userAgent) }
        body.u64(UInt64(p.devices.lifetimes.count))
        for l in p.devices.lifetimes { body.u32(l.accessToken); body.u32(l.refreshToken); body.u32(l.idleTimeout); body.u32(l.absolute) }
        body.u64(UInt64(p.sessions.count))
        for (id, s) in p.sessions {
            body.sessionID(id)
            body.i64(s.createdAt); body.i64(s.rotatedAt)
            // The address as the log holds it: ciphertext when sealed.
            body.u64(s.lastIP.hi); body.u64(s.lastIP.lo); body.u8(s.ipSealed ? 1 : 0)
            body.u64(s.login)
            body.u32(s.user); body.u32(s.device); body.u32(s.generation); body.u32(UInt32(s.lifetimes))
        }
        body.u64(UInt64(p.users.count))
        for (id, u) in p.users.nonEmpty {
            body.string(p.names[id])
            body.u8((u.banned ? 1 : 0) | (u.forgotten ? 2 : 0))
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
        var out = ByteWriter(capacity: headerSize + body.bytes.count + macSize)
        out.raw(magic)
        out.u32(format)
        out.u64(p.position)
        out.raw(chainHash.bytes)
        out.u64(UInt64(body.bytes.count))
        out.raw(body.bytes)
        out.raw(key.mac.authenticate(bytes: out.bytes))
        return out.bytes
    }

    /// Reads the header and checks the MAC, before any byte of the body is believed.
    static func header(_ bytes: [UInt8], key: SnapshotKey) throws(SnapshotError) -> Header {
        // The format comes before the MAC: a format-1 file has a checksum there, not a MAC,
        // and deserves its own reason.
        guard bytes.count >= 12, Array(bytes[0..<8]) == magic else {
            throw SnapshotError(.malformed, bytes.count < 8 ? "truncated: \(bytes.count) bytes is shorter than any snapshot" : "not a snapshot (bad magic number)")
        }
        let format = UInt32(bytes[8]) | UInt32(bytes[9]) << 8 | UInt32(bytes[10]) << 16 | UInt32(bytes[11]) << 24
        guard format == Self.format else {
            if format == 1 {
                throw SnapshotError(.oldFormat, "snapshot format 1 has no MAC, so it is not trusted; the log is replayed instead, and the next snapshot replaces it")
            }
            if format == 2 {
                throw SnapshotError(.oldFormat, "snapshot format 2 predates sealed personal data (its sessions cannot say which addresses are encrypted); the log is replayed instead, and the next snapshot replaces it")
            }
            throw SnapshotError(.malformed, "snapshot format \(format) is not supported (this build reads \(Self.format))")
        }
        guard bytes.count >= headerSize + macSize else {
            throw SnapshotError(.malformed, "truncated: \(bytes.count) bytes is shorter than any snapshot")
        }
        let announced = bytes.withUnsafeBytes { raw in UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 52, as: UInt64.self)) }
        let held = bytes.count - headerSize - macSize
        guard announced == UInt64(held) else {
            throw SnapshotError(.malformed, "truncated or padded: the header announces \(announced) body bytes, the file holds \(held)")
        }
        let authentic = bytes.withUnsafeBytes { raw in
            key.mac.isValid(tag: UnsafeRawBufferPointer(rebasing: raw[(bytes.count - macSize)...]),
                            for: UnsafeRawBufferPointer(rebasing: raw[..<(bytes.count - macSize)]))
        }
        guard authentic else {
            throw SnapshotError(.macMismatch, "MAC mismatch: the snapshot was altered, or written under another snapshot key")
        }
        return bytes.withUnsafeBytes { raw in
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: raw[12..<headerSize]))
            // Cannot fail: the bytes were bounded above.
            let position = (try? r.u64()) ?? 0
            let chainHash = SHA256Digest(bytes: UnsafeRawBufferPointer(rebasing: raw[20..<52])) ?? .zero
            return Header(position: position, chainHash: chainHash, bodyLength: announced)
        }
    }

    /// Decodes an authenticated snapshot. The MAC says who wrote it, not that the writer
    /// was right: every count, index and cross-reference is checked as well, so a damaged
    /// or hostile body is refused with its reason and can never trap.
    static func decode(_ bytes: [UInt8], key: SnapshotKey) throws(SnapshotError) -> (Header, Projection) {
        let h = try header(bytes, key: key)
        let p = bytes.withUnsafeBytes { raw in
            Result { () throws(SnapshotError) in
                try decodeBody(UnsafeRawBufferPointer(rebasing: raw[headerSize..<(bytes.count - macSize)]), position: h.position)
            }
        }
        return (h, try p.get())
    }

    /// Decodes a snapshot body (the bytes between the header and the MAC) without any MAC:
    /// for the fuzz target `snapshot-body` in tools/fuzz, whose mutated inputs would
    /// otherwise all stop at the MAC. Never a way to load a snapshot.
    package static func decodeBody(unauthenticated body: [UInt8], position: UInt64) throws(SnapshotError) -> SessionProjection {
        let p = body.withUnsafeBytes { raw in Result { () throws(SnapshotError) in try decodeBody(raw, position: position) } }
        return SessionProjection(try p.get())
    }

    private static func decodeBody(_ body: UnsafeRawBufferPointer, position: UInt64) throws(SnapshotError) -> Projection {
        do {
            var r = ByteReader(body)
            return try decodeBody(&r, position: position)
        } catch let e as SnapshotError {
            throw e
        } catch {
            throw SnapshotError(.malformed, "the body does not decode: \(error)")
        }
    }

    private static func decodeBody(_ r: inout ByteReader, position: UInt64) throws -> Projection {
        func malformed(_ why: String) -> SnapshotError { SnapshotError(.malformed, why) }
        let slack = try r.i64()
        guard (0...maximumSlackSeconds).contains(slack) else { throw malformed("revocation slack \(slack) s is out of range") }
        var p = Projection(revocationSlackSeconds: slack)
        let time = Timestamp(microseconds: try r.i64())
        let nextSweep = Timestamp(microseconds: try r.i64())
        // A count is believed only if the bytes left could hold that many entries
        // (`minimumBytes` each), so a doctored count cannot make us allocate wildly.
        func count(_ what: String, minimumBytes: Int, max: UInt64 = 1 << 32, varint: Bool = false) throws -> Int {
            let n = varint ? try r.varint() : try r.u64()
            guard n <= max, n <= UInt64(r.remaining / minimumBytes) else {
                throw malformed("implausible \(what) count \(n) for \(r.remaining) remaining bytes")
            }
            return Int(n)
        }

        // Duplicates are judged by the tables themselves (whatever equality they intern
        // by): a table that merged two entries would shift every index after them.
        var strings: [String] = []
        // Numbers are 32-bit, and one value is the table's vacant mark.
        for _ in 0..<(try count("user name", minimumBytes: 1, max: UInt64(UInt32.max) - 1)) { strings.append(try r.string()) }
        let names = StringTable(strings)
        guard names.strings.count == strings.count else { throw malformed("the user-name table holds a name twice") }
        var devices: [Device] = []
        for _ in 0..<(try count("device", minimumBytes: 2)) { devices.append(Device(label: try r.string(), userAgent: try r.string())) }
        var lifetimes: [SessionLifetimes] = []
        var seenLifetimes = Set<SessionLifetimes>()
        for _ in 0..<(try count("lifetime", minimumBytes: 16, max: UInt64(UInt16.max))) {
            let l = SessionLifetimes(accessToken: try r.u32(), refreshToken: try r.u32(), idleTimeout: try r.u32(), absolute: try r.u32())
            guard seenLifetimes.insert(l).inserted else { throw malformed("the lifetimes table holds an entry twice") }
            lifetimes.append(l)
        }
        let deviceTable = DeviceTable(devices: devices, lifetimes: lifetimes)
        guard deviceTable.devices.count == devices.count else { throw malformed("the device table holds a device twice") }

        let sessionCount = try count("session", minimumBytes: 73)
        var sessions = SessionTable()
        sessions.reserveCapacity(sessionCount)
        for _ in 0..<sessionCount {
            let id = try r.sessionID()
            let created = try r.i64(), rotated = try r.i64()
            let ip = PackedIP(hi: try r.u64(), lo: try r.u64())
            let sealedByte = try r.u8()
            guard sealedByte <= 1 else { throw malformed("session \(id) has address flag \(sealedByte)") }
            let login = try r.u64()
            let user = try r.u32(), device = try r.u32(), generation = try r.u32(), life = try r.u32()
            guard Int(user) < strings.count else { throw malformed("session \(id) names user \(user) of \(strings.count)") }
            guard Int(device) < devices.count || device == PackedSession.sealedDevice else {
                throw malformed("session \(id) names device \(device) of \(devices.count)")
            }
            guard device != PackedSession.sealedDevice || login <= PackedSession.maximumLoginPosition else {
                throw malformed("session \(id) has login position \(login)")
            }
            guard Int(life) < lifetimes.count else { throw malformed("session \(id) names lifetimes \(life) of \(lifetimes.count)") }
            guard sessions[id] == nil else { throw malformed("session \(id) appears twice") }
            sessions[id] = PackedSession(createdAt: created, rotatedAt: rotated, lastIP: ip, login: login, user: user, device: device,
                                         generation: generation, lifetimes: UInt16(life), ipSealed: sealedByte == 1)
        }

        // Every session belongs to exactly the user it names, and every user listed is one
        // the projection would hold (banned, or with sessions or devices).
        var owned = Set<SessionID>()
        var seenUsers = Set<UInt32>()
        var users: [(name: String, record: UserRecord)] = []
        for _ in 0..<(try count("user", minimumBytes: 3)) {
            let name = try r.string()
            guard let number = names.lookup(name) else { throw malformed("a user is not in the user-name table") }
            guard seenUsers.insert(number).inserted else { throw malformed("user number \(number) appears twice") }
            var u = UserRecord()
            let flags = try r.u8()
            guard flags <= 3 else { throw malformed("user number \(number) has flags \(flags)") }
            u.banned = flags & 1 != 0
            u.forgotten = flags & 2 != 0
            for _ in 0..<(try count("user session", minimumBytes: 16, varint: true)) {
                let id = try r.sessionID()
                guard let s = sessions[id] else { throw malformed("user number \(number) lists session \(id), which is absent") }
                guard s.user == number else { throw malformed("user number \(number) lists session \(id), which belongs to user \(s.user)") }
                guard owned.insert(id).inserted else { throw malformed("session \(id) is listed twice") }
                u.sessions.append(id)
            }
            var seenDevices = Set<UInt64>()
            for _ in 0..<(try count("user device", minimumBytes: 8, varint: true)) {
                let d = try r.u64()
                guard seenDevices.insert(d).inserted else { throw malformed("user number \(number) lists a device twice") }
                u.devices.append(d)
            }
            guard !u.isEmpty else { throw malformed("user number \(number) has no sessions, devices, ban or erasure") }
            users.append((name, u))
        }
        guard owned.count == sessions.count else { throw malformed("\(sessions.count - owned.count) sessions belong to no user") }

        var revoked: [(SessionID, Timestamp)] = []
        for _ in 0..<(try count("revocation", minimumBytes: 24)) { revoked.append((try r.sessionID(), Timestamp(microseconds: try r.i64()))) }
        try r.expectEnd()
        p.restore(sessions: sessions, users: users, names: names, devices: deviceTable,
                  revoked: revoked, time: time, nextSweep: nextSweep, position: position)
        return p
    }
}

/// Why a snapshot cannot be used. Match on ``kind``; ``reason`` says it to a person.
public struct SnapshotError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in the words `authledger snapshot verify` prints.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: Sendable, Hashable { case unreadable, oldFormat, macMismatch, malformed, logTooShort, chainMismatch, keyUnavailable }
        private let code: Code

        /// The file could not be read.
        public static let unreadable = Kind(code: .unreadable)
        /// Written by an older build in a format that is no longer trusted.
        public static let oldFormat = Kind(code: .oldFormat)
        /// The MAC does not verify: altered, or written under another key.
        public static let macMismatch = Kind(code: .macMismatch)
        /// Authentic, or not yet checked, but not a well-formed snapshot.
        public static let malformed = Kind(code: .malformed)
        /// The log does not reach the snapshot's position.
        public static let logTooShort = Kind(code: .logTooShort)
        /// The log's chain hash at the snapshot's position differs: another history.
        public static let chainMismatch = Kind(code: .chainMismatch)
        /// The snapshot key cannot be read (or created), so no snapshot can be trusted.
        public static let keyUnavailable = Kind(code: .keyUnavailable)

        public var description: String {
            switch code {
            case .unreadable: "unreadable"
            case .oldFormat: "old format"
            case .macMismatch: "MAC mismatch"
            case .malformed: "malformed"
            case .logTooShort: "log too short"
            case .chainMismatch: "chain hash differs from the log"
            case .keyUnavailable: "key unavailable"
            }
        }
    }

    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public var description: String { reason }
}
