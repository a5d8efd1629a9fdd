import SluiceExpr
package import SluiceRoutineLoad

/// A Routine Load statement (spec §3.1).
package enum RoutineLoadStatement: Sendable {
    case create(
        job: QualifiedName, table: String, clauses: LoadClauses, properties: [String: String], source: [String: String])
    case alter(job: QualifiedName, clauses: LoadClauses, properties: [String: String], source: [String: String])
    case pause(QualifiedName)
    case resume(QualifiedName)
    case stop(QualifiedName)
    /// SHOW [ALL] ROUTINE LOAD [FOR job | FROM db] [WHERE State = s] [ORDER BY f] [LIMIT …].
    case show(
        job: QualifiedName?, database: String?, all: Bool, state: String?, orderBy: String?, descending: Bool,
        limit: Int?, offset: Int)
    case showTasks(database: String?, job: String)
    case showCreate(QualifiedName)
}

/// Parses the Routine Load statements; load clauses keep their source text (COLUMNS and WHERE
/// are bound per batch by the load, separators keep `\t` / `\x01` spellings).
enum RoutineLoadParser {
    /// After `CREATE ROUTINE LOAD`.
    static func create(_ s: inout TokenStream) throws(ExprError) -> Statement {
        let job = try SQLParser.qualifiedName(&s)
        try s.expect("ON")
        let table = try s.identifier("table name")
        let clauses = try loadClauses(&s)
        let properties = s.accept("PROPERTIES") ? try keyValues(&s) : [:]
        try s.expect("FROM")
        try s.expect("KAFKA")
        let source = try keyValues(&s)
        return .routineLoad(.create(job: job, table: table, clauses: clauses, properties: properties, source: source))
    }

    /// After `ALTER ROUTINE LOAD`.
    static func alter(_ s: inout TokenStream) throws(ExprError) -> Statement {
        try s.expect("FOR")
        let job = try SQLParser.qualifiedName(&s)
        let clauses = try loadClauses(&s)
        let properties = s.accept("PROPERTIES") ? try keyValues(&s) : [:]
        var source = [String: String]()
        if s.accept("FROM") {
            try s.expect("KAFKA")
            source = try keyValues(&s)
        }
        return .routineLoad(.alter(job: job, clauses: clauses, properties: properties, source: source))
    }

    /// After `SHOW [ALL] ROUTINE LOAD`.
    static func show(_ s: inout TokenStream, all: Bool) throws(ExprError) -> Statement {
        if s.accept("TASK") {
            var database: String?
            if s.accept("FROM") || s.accept("IN") { database = try s.identifier("database name") }
            try s.expect("WHERE")
            let field = try s.identifier("JobName")
            guard field.lowercased() == "jobname" else {
                throw ExprError(.syntax, "SHOW ROUTINE LOAD TASK filters on JobName", position: s.current.offset)
            }
            try s.expectSymbol("=")
            return .routineLoad(.showTasks(database: database, job: try stringOrIdentifier(&s, "job name")))
        }
        var job: QualifiedName?
        var database: String?
        if s.accept("FOR") {
            job = try SQLParser.qualifiedName(&s)
        } else if s.accept("FROM") || s.accept("IN") {
            database = try s.identifier("database name")
        }
        var state: String?
        if s.accept("WHERE") {
            let field = try s.identifier("STATE")
            guard field.uppercased() == "STATE" else {
                throw ExprError(.syntax, "SHOW ROUTINE LOAD filters on State", position: s.current.offset)
            }
            try s.expectSymbol("=")
            state = try stringOrIdentifier(&s, "state").uppercased()
        }
        let ordering = try ShowOrdering.parse(&s)
        return .routineLoad(
            .show(
                job: job, database: database, all: all, state: state, orderBy: ordering.orderBy,
                descending: ordering.descending, limit: ordering.limit, offset: ordering.offset))
    }

    /// `COLUMNS TERMINATED BY`, `ROWS TERMINATED BY`, `COLUMNS (…)`, `WHERE`, `PARTITION (…)`,
    /// comma-separated, each at most once.
    static func loadClauses(_ s: inout TokenStream) throws(ExprError) -> LoadClauses {
        var clauses = LoadClauses()
        func once(_ isSet: Bool, _ what: String, at position: Int) throws(ExprError) {
            if isSet { throw ExprError(.syntax, "repeat setting of \(what)", position: position) }
        }
        repeat {
            let position = s.current.offset
            if s.current.isKeyword("COLUMNS"), s.peek().isKeyword("TERMINATED") {
                s.advance(); s.advance()
                try s.expect("BY")
                try once(clauses.columnSeparator != nil, "column separator", at: position)
                clauses.columnSeparator = try s.rawStringLiteral("column separator")
            } else if s.current.isKeyword("ROWS"), s.peek().isKeyword("TERMINATED") {
                s.advance(); s.advance()
                try s.expect("BY")
                try once(clauses.rowDelimiter != nil, "row delimiter", at: position)
                clauses.rowDelimiter = try s.rawStringLiteral("row delimiter")
            } else if s.current.isKeyword("COLUMNS"), s.peek().isSymbol("(") {
                s.advance()
                try once(clauses.columns != nil, "columns info", at: position)
                clauses.columns = try parenthesizedText(&s)
            } else if s.current.isKeyword("WHERE") {
                s.advance()
                try once(clauses.filter != nil, "where predicate", at: position)
                let start = s.index
                _ = try ExprParser.parseExpression(&s)
                clauses.filter = s.text(fromToken: start, toToken: s.index)
            } else if s.current.isKeyword("TEMPORARY") {
                throw ExprError(
                    .syntax, "TEMPORARY PARTITION is not supported: Sluice has no temporary partitions",
                    position: position)
            } else if s.current.isKeyword("PARTITION") || s.current.isKeyword("PARTITIONS") {
                s.advance()
                try once(clauses.partitions != nil, "partition names", at: position)
                try s.expectSymbol("(")
                var names = [try s.identifier("partition name")]
                while s.acceptSymbol(",") { names.append(try s.identifier("partition name")) }
                try s.expectSymbol(")")
                clauses.partitions = names
            } else {
                break
            }
        } while s.acceptSymbol(",")
        return clauses
    }

    /// The text inside balanced parentheses starting at the current `(`.
    static func parenthesizedText(_ s: inout TokenStream) throws(ExprError) -> String {
        try s.expectSymbol("(")
        let start = s.index
        var depth = 1
        while !s.atEnd {
            if s.current.isSymbol("(") { depth += 1 }
            if s.current.isSymbol(")") {
                depth -= 1
                if depth == 0 {
                    let text = s.text(fromToken: start, toToken: s.index)
                    s.advance()
                    return text
                }
            }
            s.advance()
        }
        throw s.unexpected(expecting: ")")
    }

    /// `("key" = "value", …)`; keys may also be bare words (`property.group.id` needs quotes).
    static func keyValues(_ s: inout TokenStream) throws(ExprError) -> [String: String] {
        try s.expectSymbol("(")
        var result = [String: String]()
        if s.acceptSymbol(")") { return result }
        repeat {
            let key = try stringOrIdentifier(&s, "property name")
            try s.expectSymbol("=")
            let value: String
            if case .number(let text) = s.current.kind {
                s.advance()
                value = text
            } else {
                value = try stringOrIdentifier(&s, "property value")
            }
            result[key] = value
        } while s.acceptSymbol(",")
        try s.expectSymbol(")")
        return result
    }

    static func stringOrIdentifier(_ s: inout TokenStream, _ what: String) throws(ExprError) -> String {
        if case .string(let text) = s.current.kind {
            s.advance()
            return text
        }
        return try s.identifier(what)
    }
}
