import SluiceMySQL
import SluiceTesting
import Testing

/// Server-side prepared statements on the wire (spec §3.10): the 12-byte prepare answer with
/// parameter definitions, binary result rows, CLOSE without a reply, RESET, unknown ids.
@Suite(.serialized) struct MySQLPreparedTests {
    @Test func prepareExecuteCloseAndResetOnTheWire() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let (prepare, parameters, result, reset, unknown, pingAfterClose) = try await server.client { port in
            let client = try RawMySQLClient(port: port)
            _ = try client.login(user: "root", password: "rootpw", database: "demo")
            try client.send(
                [0x16] + Array("SELECT id, name, ts, score FROM t WHERE id = ? OR name = ?".utf8), sequence: 0)
            let prepare = try client.readPacket().payload
            var parameters = [[UInt8]]()
            while true {
                let packet = try client.readPacket().payload
                if packet.first == 0xFE { break }
                parameters.append(packet)
            }
            let id = Array(prepare[1..<5])
            // Execute: id, flags 0, iteration 1, NULL bitmap, bound types (LONGLONG, VAR_STRING), values.
            var execute: [UInt8] = [0x17] + id + [0, 1, 0, 0, 0, 0b10, 1, 0x08, 0, 0xFD, 0]
            execute += [1, 0, 0, 0, 0, 0, 0, 0]
            try client.send(execute, sequence: 0)
            var result = [[UInt8]]()
            var eofs = 0
            while eofs < 2 {
                let packet = try client.readPacket().payload
                if packet.first == 0xFE, packet.count < 9 { eofs += 1 }
                result.append(packet)
            }
            try client.send([0x1A] + id, sequence: 0)
            let reset = try client.readPacket().payload
            try client.send([0x19] + id, sequence: 0)
            try client.send([0x17] + id + [0, 1, 0, 0, 0], sequence: 0)
            let unknown = RawMySQLClient.decodeSimple(try client.readPacket().payload)
            try client.send([0x0E], sequence: 0)
            return (prepare, parameters, result, reset, unknown, try client.readPacket().payload)
        }
        #expect(prepare.count == 12)
        #expect(prepare[0] == 0 && prepare[5...6] == [0, 0] && prepare[7...8] == [2, 0])
        #expect(parameters.count == 2)
        // Column count, 4 definitions, EOF, one binary row, EOF.
        #expect(result.count == 8)
        #expect(result[0] == [4])
        let row = result[6]
        #expect(row[0] == 0)
        // NULL bitmap (offset 2): no column is NULL for id 1.
        #expect(row[1] == 0)
        // id INT: 4 bytes little-endian.
        #expect(Array(row[2..<6]) == [1, 0, 0, 0])
        // name VARCHAR: lenenc "a".
        #expect(Array(row[6..<8]) == [1, UInt8(ascii: "a")])
        // ts DATETIME: length 7, 2024-01-02 03:04:05.
        #expect(Array(row[8..<16]) == [7, 0xE8, 0x07, 1, 2, 3, 4, 5])
        // score DECIMAL: as text.
        #expect(Array(row[16...]) == [4] + Array("1.50".utf8))
        #expect(reset == [0, 0, 0, 0, 0, 0, 0])
        #expect(
            unknown == .error(code: 1243, sqlState: "HY000", message: "msg: Not Found prepared statement, stmtName: 1"))
        #expect(pingAfterClose.first == 0)
    }

    @Test func nullParametersAndNullCellsUseTheirBitmaps() async throws {
        let server = try await MySQLTestServer()
        defer { Task { await server.stop() } }
        let row = try await server.client { port in
            let client = try RawMySQLClient(port: port)
            _ = try client.login(user: "root", password: "rootpw", database: "demo")
            try client.send([0x16] + Array("SELECT ?, id, score FROM t WHERE id = 2".utf8), sequence: 0)
            let prepare = try client.readPacket().payload
            _ = try client.readPacket()
            _ = try client.readPacket()
            // One parameter, NULL in the bitmap, bound as VAR_STRING, no value follows.
            try client.send([0x17] + Array(prepare[1..<5]) + [0, 1, 0, 0, 0, 0b1, 1, 0xFD, 0], sequence: 0)
            var packets = [[UInt8]]()
            var eofs = 0
            while eofs < 2 {
                let packet = try client.readPacket().payload
                if packet.first == 0xFE, packet.count < 9 { eofs += 1 }
                packets.append(packet)
            }
            return packets[packets.count - 2]
        }
        // Columns 0 (the NULL parameter) and 2 (score NULL) → bits 2 and 4 of the bitmap.
        #expect(row[0] == 0)
        #expect(row[1] == 0b10100)
        #expect(Array(row[2...]) == [2, 0, 0, 0])
    }
}
