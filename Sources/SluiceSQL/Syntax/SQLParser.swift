import SluiceExpr
import SluiceFormat
import SluiceStorage

/// Parses one StarRocks-dialect statement (a trailing `;` is allowed).
package enum SQLParser {
    package static func parse(_ sql: String) throws(SQLError) -> Statement {
        do {
            var s = try TokenStream(sql: sql)
            let statement = try parseStatement(&s)
            _ = s.acceptSymbol(";")
            guard s.atEnd else { throw s.unexpected(expecting: "end of statement") }
            return statement
        } catch {
            throw SQLError(.syntax, "\(error)", position: (error as? ExprError)?.position)
        }
    }

    static func parseStatement(_ s: inout TokenStream) throws(ExprError) -> Statement {
        if let statement = try routineLoadStatement(&s) { return statement }
        if let statement = try AccessStatementParser.parse(&s) { return statement }
        if let statement = try FileStatementParser.parse(&s) { return statement }
        if let statement = try BrokerLoadParser.parse(&s) { return statement }
        if let statement = try PipeParser.parse(&s) { return statement }
        if let statement = try SessionStatementParser.parse(&s) { return statement }
        if s.accept("CREATE") {
            if s.accept("DATABASE") || s.accept("SCHEMA") {
                let ifNotExists = try ifNotExistsClause(&s)
                return .createDatabase(name: try s.identifier("database name"), ifNotExists: ifNotExists)
            }
            try s.expect("TABLE")
            return try TableDefinitionParser.parseCreateTable(&s)
        }
        if s.accept("DROP") {
            if s.accept("DATABASE") || s.accept("SCHEMA") {
                let ifExists = try ifExistsClause(&s)
                let name = try s.identifier("database name")
                _ = s.accept("FORCE")
                return .dropDatabase(name: name, ifExists: ifExists)
            }
            try s.expect("TABLE")
            let ifExists = try ifExistsClause(&s)
            let name = try qualifiedName(&s)
            _ = s.accept("FORCE")
            return .dropTable(name, ifExists: ifExists)
        }
        if s.accept("TRUNCATE") {
            try s.expect("TABLE")
            return .truncateTable(try qualifiedName(&s))
        }
        if s.accept("ALTER") {
            try s.expect("TABLE")
            let table = try qualifiedName(&s)
            if s.accept("ADD") {
                try s.expect("PARTITION")
                let partition = try TableDefinitionParser.partitionDefinition(&s, introduced: true)
                var buckets: Int?
                if s.accept("DISTRIBUTED") {
                    try s.expect("BY")
                    let distribution = try TableDefinitionParser.distribution(&s)
                    buckets = distribution.buckets
                }
                return .addPartitions(table, [partition], buckets: buckets)
            }
            try s.expect("DROP")
            try s.expect("PARTITION")
            let ifExists = try ifExistsClause(&s)
            let name = try s.identifier("partition name")
            _ = s.accept("FORCE")
            return .dropPartition(table, partition: name, ifExists: ifExists)
        }
        if s.accept("SHOW") { return try parseShow(&s) }
        if s.accept("DESC") || s.accept("DESCRIBE") {
            if s.current.isKeyword("FILES"), s.peek().isSymbol("(") {
                s.advance()
                return .describeFiles(try RoutineLoadParser.keyValues(&s))
            }
            let name = try qualifiedName(&s)
            return s.accept("ALL") ? .describeAll(name) : .describe(name)
        }
        if s.accept("INSERT") { return .insert(try parseInsert(&s)) }
        if s.accept("DELETE") { return .delete(try parseDelete(&s)) }
        if s.accept("UPDATE") { return .update(try parseUpdate(&s)) }
        if s.current.isKeyword("SELECT") || s.current.isSymbol("(") { return .select(try SelectParser.parse(&s)) }
        throw s.unexpected(expecting: "a statement")
    }

    /// CREATE / ALTER / PAUSE / RESUME / STOP / SHOW [ALL] … ROUTINE LOAD, or nil.
    static func routineLoadStatement(_ s: inout TokenStream) throws(ExprError) -> Statement? {
        let verb = s.current
        var next = 1
        if verb.isKeyword("SHOW") {
            if s.peek(1).isKeyword("ALL") { next = 2 }
            if s.peek(1).isKeyword("CREATE") { next = 2 }
        }
        guard s.peek(next).isKeyword("ROUTINE"), s.peek(next + 1).isKeyword("LOAD") else { return nil }
        let all = verb.isKeyword("SHOW") && s.peek(1).isKeyword("ALL")
        let showCreate = verb.isKeyword("SHOW") && s.peek(1).isKeyword("CREATE")
        for _ in 0..<(next + 2) { s.advance() }
        if verb.isKeyword("CREATE") { return try RoutineLoadParser.create(&s) }
        if verb.isKeyword("ALTER") { return try RoutineLoadParser.alter(&s) }
        if showCreate { return .routineLoad(.showCreate(try qualifiedName(&s))) }
        if verb.isKeyword("SHOW") { return try RoutineLoadParser.show(&s, all: all) }
        try s.expect("FOR")
        let job = try qualifiedName(&s)
        if verb.isKeyword("PAUSE") { return .routineLoad(.pause(job)) }
        if verb.isKeyword("RESUME") { return .routineLoad(.resume(job)) }
        if verb.isKeyword("STOP") { return .routineLoad(.stop(job)) }
        throw ExprError(.syntax, "Syntax error: unexpected \(verb.text) ROUTINE LOAD", position: verb.offset)
    }

    static func parseShow(_ s: inout TokenStream) throws(ExprError) -> Statement {
        if let statement = try SessionStatementParser.parseShow(&s) { return statement }
        if s.accept("DATABASES") || s.accept("SCHEMAS") {
            return .showDatabases(filter: try SessionStatementParser.filter(&s))
        }
        let full = s.current.isKeyword("FULL") && s.peek().isKeyword("TABLES")
        if full { s.advance() }
        if s.accept("TABLES") {
            var database: String?
            if s.accept("FROM") || s.accept("IN") { database = try s.identifier("database name") }
            return .showTables(database: database, full: full, filter: try SessionStatementParser.filter(&s))
        }
        if s.accept("CREATE") {
            try s.expect("TABLE")
            return .showCreateTable(try qualifiedName(&s))
        }
        if s.accept("PARTITIONS") {
            try s.expect("FROM")
            return .showPartitions(try qualifiedName(&s))
        }
        if s.accept("TABLET") || s.accept("TABLETS") {
            try s.expect("FROM")
            return .showTablet(try qualifiedName(&s))
        }
        if s.accept("TRANSACTION") || s.accept("TRANSACTIONS") {
            var database: String?
            if s.accept("FROM") || s.accept("IN") { database = try s.identifier("database name") }
            var filter: TransactionFilter?
            if s.accept("WHERE") {
                let field = try s.identifier("LABEL or ID").uppercased()
                if field == "LABEL" {
                    if s.accept("LIKE") {
                        filter = .labelLike(try s.stringLiteral("label pattern"))
                    } else {
                        try s.expectSymbol("=")
                        filter = .label(try s.stringLiteral("label"))
                    }
                } else if field == "ID" {
                    try s.expectSymbol("=")
                    filter = .id(Int64(try s.integer("transaction id")))
                } else {
                    throw ExprError(.syntax, "SHOW TRANSACTION filters on LABEL or ID", position: s.current.offset)
                }
            }
            return .showTransactions(database: database, filter: filter)
        }
        if s.current.isKeyword("TABLE"), s.peek().isKeyword("STATUS") {
            s.advance()
            s.advance()
            var database: String?
            if s.accept("FROM") || s.accept("IN") { database = try s.identifier("database name") }
            return .showTableStatus(database: database, filter: try SessionStatementParser.filter(&s))
        }
        if s.accept("INDEX") || s.accept("INDEXES") || s.accept("KEYS") {
            return .showIndex(try tableOf(&s))
        }
        let fullColumns = s.accept("FULL")
        if s.accept("COLUMNS") || s.accept("FIELDS") {
            let name = try tableOf(&s)
            return .showColumns(name, full: fullColumns, filter: try SessionStatementParser.filter(&s))
        }
        throw s.unexpected(expecting: "DATABASES, TABLES, COLUMNS, CREATE TABLE, PARTITIONS or TABLET")
    }

    /// `FROM t [FROM db]` (also `IN`) of SHOW COLUMNS and SHOW INDEX.
    static func tableOf(_ s: inout TokenStream) throws(ExprError) -> QualifiedName {
        guard s.accept("FROM") || s.accept("IN") else { throw s.unexpected(expecting: "FROM") }
        var name = try qualifiedName(&s)
        if s.accept("FROM") || s.accept("IN") { name.database = try s.identifier("database name") }
        return name
    }

    static func parseInsert(_ s: inout TokenStream) throws(ExprError) -> InsertStatement {
        try s.expect("INTO")
        let table = try qualifiedName(&s)
        var label: String?
        if s.accept("WITH") {
            try s.expect("LABEL")
            if case .string(let text) = s.current.kind {
                s.advance()
                label = text
            } else {
                label = try s.identifier("label")
            }
        }
        var properties = [String: String]()
        if s.current.isKeyword("PROPERTIES") {
            s.advance()
            properties = try TableDefinitionParser.properties(&s)
        }
        var columns: [String]?
        if s.current.isSymbol("("), !s.peek().isKeyword("SELECT") {
            s.advance()
            var names = [try s.identifier("column name")]
            while s.acceptSymbol(",") { names.append(try s.identifier("column name")) }
            try s.expectSymbol(")")
            columns = names
        }
        if s.accept("VALUES") || s.accept("VALUE") {
            var rows = [[Expr]]()
            repeat {
                try s.expectSymbol("(")
                var row = [Expr]()
                if !s.current.isSymbol(")") {
                    row.append(try ExprParser.parseExpression(&s))
                    while s.acceptSymbol(",") { row.append(try ExprParser.parseExpression(&s)) }
                }
                try s.expectSymbol(")")
                rows.append(row)
            } while s.acceptSymbol(",")
            return InsertStatement(
                table: table, label: label, columns: columns, properties: properties, source: .values(rows))
        }
        return InsertStatement(
            table: table, label: label, columns: columns, properties: properties,
            source: .select(try SelectParser.parse(&s)))
    }

    static func parseDelete(_ s: inout TokenStream) throws(ExprError) -> DeleteStatement {
        try s.expect("FROM")
        var statement = DeleteStatement(table: try qualifiedName(&s))
        if s.accept("PARTITION") || s.accept("PARTITIONS") {
            if s.acceptSymbol("(") {
                var names = [try s.identifier("partition name")]
                while s.acceptSymbol(",") { names.append(try s.identifier("partition name")) }
                try s.expectSymbol(")")
                statement.partitions = names
            } else {
                statement.partitions = [try s.identifier("partition name")]
            }
        }
        if s.accept("WHERE") { statement.filter = try ExprParser.parseExpression(&s) }
        return statement
    }

    static func parseUpdate(_ s: inout TokenStream) throws(ExprError) -> UpdateStatement {
        let table = try qualifiedName(&s)
        try s.expect("SET")
        var assignments = [(column: String, value: Expr)]()
        repeat {
            let column = try s.identifier("column name")
            try s.expectSymbol("=")
            assignments.append((column, try ExprParser.parseExpression(&s)))
        } while s.acceptSymbol(",")
        var filter: Expr?
        if s.accept("WHERE") { filter = try ExprParser.parseExpression(&s) }
        return UpdateStatement(table: table, assignments: assignments, filter: filter)
    }

    static func qualifiedName(_ s: inout TokenStream) throws(ExprError) -> QualifiedName {
        let first = try s.identifier("table name")
        if s.acceptSymbol(".") { return QualifiedName(database: first, name: try s.identifier("table name")) }
        return QualifiedName(name: first)
    }

    static func ifNotExistsClause(_ s: inout TokenStream) throws(ExprError) -> Bool {
        guard s.accept("IF") else { return false }
        try s.expect("NOT")
        try s.expect("EXISTS")
        return true
    }

    static func ifExistsClause(_ s: inout TokenStream) throws(ExprError) -> Bool {
        guard s.accept("IF") else { return false }
        try s.expect("EXISTS")
        return true
    }
}

/// SELECT … FROM … WHERE … GROUP BY … HAVING … ORDER BY … LIMIT …
enum SelectParser {
    static let clauseKeywords: Set<String> = [
        "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "UNION", "ON", "JOIN", "AS",
    ]

    static func parse(_ s: inout TokenStream) throws(ExprError) -> SelectStatement {
        if s.acceptSymbol("(") {
            let inner = try parse(&s)
            try s.expectSymbol(")")
            return inner
        }
        try s.expect("SELECT")
        var select = SelectStatement()
        select.distinct = s.accept("DISTINCT")
        _ = s.accept("ALL")
        repeat {
            let expr = try ExprParser.parseExpression(&s)
            select.items.append(.init(expr: expr, alias: try alias(&s)))
        } while s.acceptSymbol(",")
        if s.accept("FROM") { select.source = try source(&s) }
        if s.accept("WHERE") { select.filter = try ExprParser.parseExpression(&s) }
        if s.accept("GROUP") {
            try s.expect("BY")
            repeat { select.groupBy.append(try ExprParser.parseExpression(&s)) } while s.acceptSymbol(",")
        }
        if s.accept("HAVING") { select.having = try ExprParser.parseExpression(&s) }
        if s.accept("ORDER") {
            try s.expect("BY")
            repeat {
                let expr = try ExprParser.parseExpression(&s)
                let descending = s.accept("DESC")
                if !descending { _ = s.accept("ASC") }
                select.orderBy.append(.init(expr: expr, descending: descending))
            } while s.acceptSymbol(",")
        }
        if let (limit, offset) = try limitClause(&s, count: "LIMIT count", offset: "OFFSET") {
            select.limit = limit
            select.offset = offset
        }
        return select
    }

    /// `LIMIT n [OFFSET m]` or `LIMIT m, n` at the stream's position, nil when absent; `count` and
    /// `offset` name the numbers in syntax errors.
    static func limitClause(_ s: inout TokenStream, count: String, offset: String) throws(ExprError) -> (
        limit: Int, offset: Int
    )? {
        guard s.accept("LIMIT") else { return nil }
        let first = try s.integer(count)
        if s.acceptSymbol(",") { return (try s.integer(count), first) }
        return (first, s.accept("OFFSET") ? try s.integer(offset) : 0)
    }

    static func alias(_ s: inout TokenStream) throws(ExprError) -> String? {
        if s.accept("AS") {
            if case .string(let text) = s.current.kind {
                s.advance()
                return text
            }
            return try s.identifier("alias")
        }
        switch s.current.kind {
        case .word(let w) where !clauseKeywords.contains(w.uppercased()):
            s.advance()
            return w
        case .quotedIdentifier(let w):
            s.advance()
            return w
        default:
            return nil
        }
    }

    static func source(_ s: inout TokenStream) throws(ExprError) -> SelectStatement.Source {
        if s.accept("TABLE") {
            try s.expectSymbol("(")
            let name = try s.identifier("table function")
            guard name.lowercased() == "generate_series" else {
                throw ExprError(.syntax, "Unknown table function \(name)", position: s.current.offset)
            }
            try s.expectSymbol("(")
            let start = try ExprParser.parseExpression(&s)
            try s.expectSymbol(",")
            let end = try ExprParser.parseExpression(&s)
            var step: Expr?
            if s.acceptSymbol(",") { step = try ExprParser.parseExpression(&s) }
            try s.expectSymbol(")")
            try s.expectSymbol(")")
            return .generateSeries(start: start, end: end, step: step, alias: try alias(&s))
        }
        if s.current.isKeyword("FILES"), s.peek().isSymbol("(") {
            s.advance()
            return .files(try RoutineLoadParser.keyValues(&s), alias: try alias(&s))
        }
        let name = try SQLParser.qualifiedName(&s)
        if s.current.isKeyword("JOIN") || s.current.isSymbol(",") {
            throw ExprError(.syntax, "Joins are not supported", position: s.current.offset)
        }
        return .table(name, alias: try alias(&s))
    }
}
