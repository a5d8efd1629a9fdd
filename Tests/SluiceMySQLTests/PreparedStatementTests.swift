import SluiceMySQL
import SluiceSQL
import Testing

/// The binary protocol's parameters: placeholders, parsing, literals (spec §3.10).
@Suite struct PreparedStatementTests {
    @Test func placeholdersOutsideStringsAndCommentsAreCut() throws {
        let statement = try PreparedStatement(
            id: 1, sql: "SELECT '?', `a?` FROM t /* ? */ WHERE x = ? AND y = \"?\" AND z IN (?, ?)")
        #expect(statement.parameterCount == 3)
        #expect(
            statement.sql([.int(-1), .bytes(Array("it's \\".utf8)), .null])
                == "SELECT '?', `a?` FROM t /* ? */ WHERE x = -1 AND y = \"?\" AND z IN ('it\\'s \\\\', NULL)")
        #expect(throws: SQLError.self) { try PreparedStatement(id: 2, sql: "SELECT 1; SELECT 2") }
    }

    @Test func literalsRenderEachParameterType() {
        #expect(ParameterValue.unsigned(UInt64.max).sqlLiteral == "18446744073709551615")
        #expect(ParameterValue.double(0.5).sqlLiteral == "0.5")
        #expect(ParameterValue.double(.nan).sqlLiteral == "NULL")
        #expect(ParameterValue.bytes([0xFF, 0x00]).sqlLiteral == "X'FF00'")
        #expect(ParameterValue.date(year: 2024, month: 2, day: 9).sqlLiteral == "'2024-02-09'")
        #expect(
            ParameterValue.dateTime(year: 2024, month: 1, day: 2, hour: 3, minute: 4, second: 5, micros: 60).sqlLiteral
                == "'2024-01-02 03:04:05.000060'")
        #expect(
            ParameterValue.time(negative: true, days: 1, hour: 2, minute: 3, second: 4, micros: 0).sqlLiteral
                == "'-26:03:04'")
    }

    @Test func executePayloadsDecodeEveryBinaryType() throws {
        var statement = try PreparedStatement(id: 7, sql: "SELECT ?, ?, ?, ?, ?, ?, ?")
        var payload: [UInt8] = [7, 0, 0, 0, 0, 1, 0, 0, 0]
        payload += [0b0100_0000, 1]  // parameter 6 NULL; types follow
        payload += [0x01, 0x00, 0x02, 0x80, 0x05, 0, 0x0C, 0, 0x0A, 0, 0xFE, 0, 0x08, 0]
        payload += [0xFF]  // TINY -1
        payload += [0xFF, 0xFF]  // SHORT unsigned 65535
        payload += Array(withUnsafeBytes(of: (2.5).bitPattern.littleEndian, Array.init))
        payload += [7, 0xE8, 0x07, 12, 31, 23, 59, 58]  // DATETIME
        payload += [4, 0xE8, 0x07, 2, 29]  // DATE
        payload += [3] + Array("abc".utf8)
        let request = try ExecuteRequest.parse(payload, statement: statement)
        #expect(request.statementID == 7)
        #expect(
            request.values == [
                .int(-1), .unsigned(65535), .double(2.5),
                .dateTime(year: 2024, month: 12, day: 31, hour: 23, minute: 59, second: 58, micros: 0),
                .date(year: 2024, month: 2, day: 29), .bytes(Array("abc".utf8)), .null,
            ])
        // A later execute without types reuses the bound ones; long data replaces a value.
        statement.parameterTypes = request.boundTypes ?? []
        statement.longData[5] = Array("long".utf8)
        var again: [UInt8] = [7, 0, 0, 0, 0, 1, 0, 0, 0, 0b0100_0000, 0]
        again += [0x01, 0x02, 0x00] + Array(withUnsafeBytes(of: (1.0).bitPattern.littleEndian, Array.init))
        again += [0] + [0]
        #expect(try ExecuteRequest.parse(again, statement: statement).values[5] == .bytes(Array("long".utf8)))
    }

    @Test func malformedExecutePayloadsFailCleanly() throws {
        let statement = try PreparedStatement(id: 1, sql: "SELECT ?")
        #expect(throws: ExecuteRequest.Failure.truncated) {
            try ExecuteRequest.parse([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x03, 0, 1], statement: statement)
        }
        #expect(throws: ExecuteRequest.Failure.unboundParameters) {
            try ExecuteRequest.parse([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0], statement: statement)
        }
        #expect(throws: ExecuteRequest.Failure.unknownType(0x42)) {
            try ExecuteRequest.parse([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x42, 0, 1], statement: statement)
        }
    }
}
