import SluiceExpr
package import SluiceSQL

/// A statement COM_STMT_PREPARE registered: its text cut at the `?` placeholders. Each
/// COM_STMT_EXECUTE substitutes its parameters as literals and runs the result like COM_QUERY.
package struct PreparedStatement: Sendable {
    package let id: UInt32
    /// The text between placeholders (one more piece than placeholders).
    package let pieces: [Substring]
    /// Parameter types as the last execute bound them (type byte, unsigned flag); clients send
    /// them once and later executes reuse them.
    package var parameterTypes: [(type: UInt8, unsigned: Bool)] = []
    /// COM_STMT_SEND_LONG_DATA chunks by parameter, consumed by the next execute.
    package var longData: [Int: [UInt8]] = [:]

    package var parameterCount: Int { pieces.count - 1 }

    /// Cuts `sql` at its placeholders. - Throws: a syntax error for text that does not lex, or
    /// for several statements (the binary protocol runs one).
    package init(id: UInt32, sql: String) throws(SQLError) {
        let tokens: [Token]
        do {
            tokens = try Lexer.tokenize(sql)
        } catch {
            throw SQLExecutor.translate(error)
        }
        let statements = try SQLExecutor.statements(sql)
        guard statements.count == 1 else {
            throw SQLError(.syntax, "A prepared statement holds one statement; got \(statements.count)")
        }
        let bytes = sql.utf8
        var pieces = [Substring]()
        var start = bytes.startIndex
        for token in tokens where token.isSymbol("?") {
            let at = bytes.index(bytes.startIndex, offsetBy: token.offset)
            pieces.append(Substring(sql[start..<at]))
            start = bytes.index(after: at)
        }
        pieces.append(Substring(sql[start...]))
        self.id = id
        self.pieces = pieces
    }

    /// The statement with `values` in place of its placeholders.
    package func sql(_ values: [ParameterValue]) -> String {
        var out = String(pieces[0])
        for (index, value) in values.enumerated() {
            out += value.sqlLiteral
            out += pieces[index + 1]
        }
        return out
    }
}

/// A connection's prepared statements (MySQL keeps them per connection; COM_RESET_CONNECTION
/// and COM_CHANGE_USER drop them).
package struct PreparedStatements: Sendable {
    /// MySQL's `max_prepared_stmt_count` default.
    package static let limit = 16382

    private var statements: [UInt32: PreparedStatement] = [:]
    private var nextID: UInt32 = 1

    package init() {}

    /// Registers `sql`. - Throws: its syntax error, or when the connection holds `limit` already.
    package mutating func prepare(_ sql: String) throws(SQLError) -> PreparedStatement {
        guard statements.count < Self.limit else {
            throw SQLError(
                .analysis,
                "Can't create more than max_prepared_stmt_count statements (current value: \(Self.limit)); close unused ones"
            )
        }
        let statement = try PreparedStatement(id: nextID, sql: sql)
        statements[nextID] = statement
        nextID = nextID == UInt32.max ? 1 : nextID + 1
        return statement
    }

    package subscript(id: UInt32) -> PreparedStatement? {
        get { statements[id] }
        set { statements[id] = newValue }
    }

    package mutating func close(_ id: UInt32) { statements[id] = nil }

    package var count: Int { statements.count }
}
