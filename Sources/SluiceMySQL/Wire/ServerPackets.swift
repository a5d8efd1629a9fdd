/// OK, EOF and ERR packets as StarRocks writes them (spec mysql-protocol §3.2); status flags are
/// 0 except `moreResults` between statements of one COM_QUERY.
package enum ServerPackets {
    package static let moreResults = 0x0008

    package static func ok(affectedRows: UInt64 = 0, status: Int = 0, warnings: Int = 0, info: String = "")
        -> [UInt8]
    {
        var w = WireWriter(capacity: 16 + info.utf8.count)
        w.int1(0x00)
        w.lenenc(affectedRows)
        w.lenenc(0)
        w.int2(status)
        w.int2(warnings)
        if !info.isEmpty { w.lenencString(info) }
        return w.bytes
    }

    package static func eof(status: Int = 0, warnings: Int = 0) -> [UInt8] {
        var w = WireWriter(capacity: 5)
        w.int1(0xFE)
        w.int2(warnings)
        w.int2(status)
        return w.bytes
    }

    /// `ff` + code + `#` + 5-byte SQLSTATE + message (an empty message is `Unknown error`).
    package static func error(code: Int, sqlState: String, message: String) -> [UInt8] {
        precondition(sqlState.utf8.count == 5, "a 5-character SQLSTATE")
        var w = WireWriter(capacity: 16 + message.utf8.count)
        w.int1(0xFF)
        w.int2(code)
        w.raw("#".utf8)
        w.raw(sqlState.utf8)
        w.raw((message.isEmpty ? "Unknown error" : message).utf8)
        return w.bytes
    }
}
