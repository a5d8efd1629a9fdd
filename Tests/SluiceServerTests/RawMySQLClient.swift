import SluiceMySQL
import SluiceTesting

#if canImport(Glibc)
    import Glibc
#endif

/// A minimal blocking MySQL client over a real socket, for byte-level tests: frames packets,
/// logs in with `mysql_native_password`, and decodes text result sets. Reads time out after a
/// two minutes (a hang is a failure, not a stuck test). Run it off the cooperative pool.
final class RawMySQLClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// What a command returned.
    enum Reply: Equatable {
        case ok(affected: UInt64, status: Int, warnings: Int, info: String)
        case error(code: Int, sqlState: String, message: String)
        case rows(columns: [String], rows: [[String?]], status: Int)
    }

    let fd: Int32
    private var buffer: [UInt8] = []
    private(set) var greeting: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 120) throws {
        fd = try connectLoopback(port: port)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        greeting = try readPacket().payload
    }

    deinit { close(fd) }

    var scramble: [UInt8] {
        // protocol(1) version\0 id(4) part1(8) filler(1) caps(2) charset(1) status(2) caps(2) len(1) reserved(10) part2
        let versionEnd = greeting.firstIndex(of: 0)!
        let part1 = greeting[(versionEnd + 5)..<(versionEnd + 13)]
        let part2Start = versionEnd + 13 + 1 + 2 + 1 + 2 + 2 + 1 + 10
        return Array(part1) + Array(greeting[part2Start..<(part2Start + 12)])
    }

    var connectionID: UInt32 {
        let versionEnd = greeting.firstIndex(of: 0)!
        return greeting[(versionEnd + 1)..<(versionEnd + 5)].reversed().reduce(0) { $0 << 8 | UInt32($1) }
    }

    // MARK: Packets

    func send(_ payload: [UInt8], sequence: UInt8) throws {
        try sendRaw(PacketFramer.frames(payload, sequence: sequence).bytes)
    }

    func sendRaw(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw Failure("write failed") }
            sent += n
        }
    }

    /// The next logical packet. - Throws: when the server closed or nothing came in time.
    func readPacket() throws -> (sequence: UInt8, payload: [UInt8]) {
        var payload = [UInt8]()
        var first: UInt8?
        while true {
            try fill(4)
            let length = Int(buffer[0]) | Int(buffer[1]) << 8 | Int(buffer[2]) << 16
            let sequence = buffer[3]
            try fill(4 + length)
            payload += buffer[4..<(4 + length)]
            buffer.removeFirst(4 + length)
            if first == nil { first = sequence }
            if length < 0xFF_FFFF { return (first!, payload) }
        }
    }

    /// Whether the server closed the connection (reads EOF).
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        return read(fd, &byte, 1) == 0
    }

    private func fill(_ count: Int) throws {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while buffer.count < count {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(n == 0 ? "connection closed" : "read timed out") }
            buffer += chunk[0..<n]
        }
    }

    // MARK: Commands

    static let clientFlags: UInt32 = 0x0000_0200 | 0x0000_8000 | 0x0008_0000 | 0x0002_0000 | 0x0001_0000

    /// HandshakeResponse41 for `user`; returns the server's reply.
    func login(user: String, password: String, database: String? = nil, plugin: String = "mysql_native_password")
        throws -> Reply
    {
        var flags = Self.clientFlags
        if database != nil { flags |= 0x8 }
        var w = WireWriter()
        w.int4(Int(flags))
        w.int4(1 << 24)
        w.int1(45)
        w.raw(repeatElement(0, count: 23))
        w.nulTerminated(user)
        let response =
            plugin == "mysql_native_password"
            ? NativePassword.clientResponse(password: password, scramble: scramble)
            : [UInt8](repeating: 7, count: 32)
        w.int1(UInt8(response.count))
        w.raw(response)
        if let database { w.nulTerminated(database) }
        w.nulTerminated(plugin)
        try send(w.bytes, sequence: 1)
        var reply = try readPacket()
        if reply.payload.first == 0xFE {
            try send(
                NativePassword.clientResponse(password: password, scramble: scramble), sequence: reply.sequence + 1)
            reply = try readPacket()
        }
        return Self.decodeSimple(reply.payload)
    }

    /// COM_QUERY; returns every result of a multi-statement query.
    func query(_ sql: String) throws -> [Reply] {
        try send([0x03] + Array(sql.utf8), sequence: 0)
        return try readResults()
    }

    func readResults() throws -> [Reply] {
        var replies = [Reply]()
        while true {
            let reply = try readResult()
            replies.append(reply)
            switch reply {
            case .ok(_, let status, _, _) where status & 0x0008 != 0: continue
            case .rows(_, _, let status) where status & 0x0008 != 0: continue
            default: return replies
            }
        }
    }

    func readResult() throws -> Reply {
        let first = try readPacket().payload
        guard let head = first.first, head != 0x00, head != 0xFF else { return Self.decodeSimple(first) }
        var reader = WireReader(first)
        let count = Int(try reader.lenenc())
        var names = [String]()
        for _ in 0..<count {
            var column = WireReader(try readPacket().payload)
            for _ in 0..<4 { _ = try column.lenencBytes() }
            names.append(String(decoding: try column.lenencBytes(), as: UTF8.self))
        }
        guard try readPacket().payload.first == 0xFE else { throw Failure("no EOF after column definitions") }
        var rows = [[String?]]()
        while true {
            let packet = try readPacket().payload
            if packet.first == 0xFE, packet.count < 9 {
                return .rows(columns: names, rows: rows, status: Int(packet[3]) | Int(packet[4]) << 8)
            }
            if packet.first == 0xFF { return Self.decodeSimple(packet) }
            var row = WireReader(packet)
            var values = [String?]()
            for _ in 0..<count {
                if packet[packet.count - row.remaining] == 0xFB {
                    _ = try row.int1()
                    values.append(nil)
                } else {
                    values.append(String(decoding: try row.lenencBytes(), as: UTF8.self))
                }
            }
            rows.append(values)
        }
    }

    static func decodeSimple(_ payload: [UInt8]) -> Reply {
        var r = WireReader(payload)
        do {
            switch try r.int1() {
            case 0x00:
                let affected = try r.lenenc()
                _ = try r.lenenc()
                let status = try r.int2()
                let warnings = try r.int2()
                let info = r.isAtEnd ? "" : String(decoding: try r.lenencBytes(), as: UTF8.self)
                return .ok(affected: affected, status: status, warnings: warnings, info: info)
            case 0xFF:
                let code = try r.int2()
                let rest = r.rest()
                return .error(
                    code: code, sqlState: String(decoding: rest.dropFirst().prefix(5), as: UTF8.self),
                    message: String(decoding: rest.dropFirst(6), as: UTF8.self))
            default:
                return .error(code: -1, sqlState: "?????", message: "unexpected packet \(payload)")
            }
        } catch {
            return .error(code: -1, sqlState: "?????", message: "truncated packet \(payload)")
        }
    }
}
