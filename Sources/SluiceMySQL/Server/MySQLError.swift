package import SluiceSQL

/// An ERR packet's content: MySQL error code, SQLSTATE and message. The only place SQL failures
/// become MySQL wire literals (spec mysql-protocol §3.12: newest StarRocks codes).
package struct MySQLError: Error, Sendable, Equatable {
    package var code: Int
    package var sqlState: String
    package var message: String

    package init(code: Int, sqlState: String, _ message: String) {
        self.code = code
        self.sqlState = sqlState
        self.message = message
    }

    package var packet: [UInt8] { ServerPackets.error(code: code, sqlState: sqlState, message: message) }

    /// The ERR for a failed statement; `statement` locates syntax errors as line and column.
    package init(_ error: SQLError, statement: String) {
        func analyzing(_ text: String) -> String {
            "Getting analyzing error. Detail message: \(text)\(text.hasSuffix(".") ? "" : ".")"
        }
        switch error.code {
        case .syntax:
            let (line, column) = Self.lineAndColumn(statement, offset: error.position ?? 0)
            let detail = error.message.hasSuffix(".") ? error.message : error.message + "."
            self.init(
                code: 1064, sqlState: "42000",
                "Getting syntax error at line \(line), column \(column). Detail message: \(detail)")
        case .unknownDatabase: self.init(code: 5501, sqlState: "3F000", error.message)
        case .unknownTable: self.init(code: 5502, sqlState: "42602", analyzing(error.message))
        case .unknownColumn: self.init(code: 5509, sqlState: "42S22", analyzing(error.message))
        case .noDatabase: self.init(code: 1046, sqlState: "3D000", error.message)
        case .databaseExists: self.init(code: 1007, sqlState: "HY000", error.message)
        case .tableExists: self.init(code: 1050, sqlState: "42S01", error.message)
        case .unknownVariable: self.init(code: 1193, sqlState: "HY000", error.message)
        case .readOnlyVariable: self.init(code: 1238, sqlState: "HY000", error.message)
        case .wrongValue: self.init(code: 1231, sqlState: "42000", error.message)
        case .emptyQuery: self.init(code: 1065, sqlState: "42000", error.message)
        case .dataQuality: self.init(code: 5610, sqlState: "22000", error.message)
        case .timeout: self.init(code: 5024, sqlState: "53400", error.message)
        case .killed, .cancelled: self.init(code: 1317, sqlState: "70100", error.message)
        case .unknownThread: self.init(code: 1094, sqlState: "HY000", error.message)
        case .accessDenied: self.init(code: 5203, sqlState: "42000", error.message)
        case .tooLong: self.init(code: 1064, sqlState: "42000", error.message)
        case .filesNotFound: self.init(code: 5600, sqlState: "58030", error.message)
        case .userOperationFailed: self.init(code: 1396, sqlState: "HY000", error.message)
        case .analysis: self.init(code: 1064, sqlState: "HY000", analyzing(error.message))
        default: self.init(code: 1064, sqlState: "HY000", error.message)
        }
    }

    /// 1-based line and column of a UTF-8 offset.
    static func lineAndColumn(_ text: String, offset: Int) -> (Int, Int) {
        var line = 1
        var column = 1
        for byte in text.utf8.prefix(offset) {
            if byte == 10 {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
        return (line, column)
    }

    // MARK: Protocol-level errors

    static func unsupportedCommand(_ code: UInt8) -> MySQLError {
        let names: [UInt8: String] = [
            0x05: "COM_CREATE_DB", 0x06: "COM_DROP_DB", 0x07: "COM_REFRESH", 0x08: "COM_SHUTDOWN",
            0x09: "COM_STATISTICS", 0x0A: "COM_PROCESS_INFO", 0x0B: "COM_CONNECT", 0x0C: "COM_PROCESS_KILL",
            0x0D: "COM_DEBUG", 0x0F: "COM_TIME", 0x10: "COM_DELAYED_INSERT", 0x11: "COM_CHANGE_USER",
            0x12: "COM_BINLOG_DUMP", 0x13: "COM_TABLE_DUMP", 0x14: "COM_CONNECT_OUT", 0x15: "COM_REGISTER_SLAVE",
            0x16: "COM_STMT_PREPARE", 0x17: "COM_STMT_EXECUTE", 0x18: "COM_STMT_SEND_LONG_DATA",
            0x1C: "COM_STMT_FETCH", 0x1D: "COM_DAEMON", 0x1E: "COM_BINLOG_DUMP_GTID",
        ]
        if let name = names[code] { return MySQLError(code: 1047, sqlState: "08S01", "Unsupported command(\(name))") }
        return MySQLError(code: 1047, sqlState: "08S01", "Unknown command(\(code))")
    }

    /// COM_STMT_EXECUTE/RESET of a statement the connection does not hold (StarRocks' text).
    static func unknownStatement(_ id: UInt32) -> MySQLError {
        MySQLError(code: 1243, sqlState: "HY000", "msg: Not Found prepared statement, stmtName: \(id)")
    }

    /// A COM_STMT_EXECUTE payload that does not parse.
    static func badExecute(_ failure: ExecuteRequest.Failure) -> MySQLError {
        let detail =
            switch failure {
            case .truncated: "the parameter values are truncated"
            case .unboundParameters: "no parameter types were bound (send them with the first execute)"
            case .unknownType(let type): "parameter type \(type) is not a MySQL type"
            }
        return MySQLError(code: 1210, sqlState: "HY000", "Incorrect arguments to mysqld_stmt_execute: \(detail)")
    }

    static let tooManyConnections = MySQLError(
        code: 1040, sqlState: "08004",
        "Reach limit of connections: raise server.qe_max_connection or close idle connections")

    static func tooManyUserConnections(_ user: String, limit: Int) -> MySQLError {
        MySQLError(
            code: 1040, sqlState: "08004",
            "Reach limit of connections for user '\(user)': \(limit) (raise server.max_user_connections or close "
                + "idle connections)")
    }

    static func packetTooLarge(limit: Int) -> MySQLError {
        MySQLError(
            code: 1153, sqlState: "08S01",
            "Got a packet bigger than 'max_allowed_packet' bytes (\(limit)); send smaller statements or raise "
                + "server.max_allowed_packet")
    }
}
