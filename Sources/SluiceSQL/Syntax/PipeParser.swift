import SluiceExpr
package import SluiceFiles

/// The Pipe statements (spec C.4).
package enum PipeStatement: Sendable {
    /// `CREATE [OR REPLACE] PIPE [IF NOT EXISTS] [db.]p [PROPERTIES (...)] AS INSERT INTO … FROM FILES(...)`
    case create(
        name: QualifiedName, orReplace: Bool, ifNotExists: Bool, properties: [String: String],
        insert: InsertStatement, insertSQL: String)
    /// `ALTER PIPE [db.]p SUSPEND | RESUME | RETRY ALL | RETRY FILE '<path>' | SET (...)`
    case alter(QualifiedName, PipeManager.Alteration)
    /// `DROP PIPE [IF EXISTS] [db.]p`
    case drop(QualifiedName, ifExists: Bool)
    /// `SHOW PIPES [FROM db] [WHERE NAME = "p" | NAME LIKE "..."] [AND STATE = "..."] [ORDER BY …] [LIMIT …]`
    case show(ShowPipesQuery)
}

package struct ShowPipesQuery: Sendable {
    package var database: String?
    package var name: String?
    /// `NAME LIKE 'p%'`: an SQL pattern.
    package var namePattern: String?
    package var state: String?
    /// ORDER BY and LIMIT.
    package var ordering = ShowOrdering()
}

enum PipeParser {
    /// A pipe statement at the stream's position, or nil (nothing consumed).
    static func parse(_ s: inout TokenStream) throws(ExprError) -> Statement? {
        let verb = s.current
        if verb.isKeyword("SHOW"), s.peek().isKeyword("PIPES") {
            s.advance()
            s.advance()
            return .pipe(.show(try show(&s)))
        }
        var orReplace = false
        var next = 1
        if verb.isKeyword("CREATE"), s.peek().isKeyword("OR"), s.peek(2).isKeyword("REPLACE") {
            orReplace = true
            next = 3
        }
        guard verb.isKeyword("CREATE") || verb.isKeyword("ALTER") || verb.isKeyword("DROP"),
            s.peek(next).isKeyword("PIPE")
        else { return nil }
        for _ in 0...next { s.advance() }
        if verb.isKeyword("DROP") {
            let ifExists = try SQLParser.ifExistsClause(&s)
            return .pipe(.drop(try SQLParser.qualifiedName(&s), ifExists: ifExists))
        }
        if verb.isKeyword("ALTER") {
            let name = try SQLParser.qualifiedName(&s)
            if s.accept("SUSPEND") { return .pipe(.alter(name, .suspend)) }
            if s.accept("RESUME") { return .pipe(.alter(name, .resume)) }
            if s.accept("RETRY") {
                if s.accept("ALL") { return .pipe(.alter(name, .retryAll)) }
                try s.expect("FILE")
                return .pipe(.alter(name, .retryFile(try s.stringLiteral("file path"))))
            }
            if s.accept("SET") { return .pipe(.alter(name, .set(try RoutineLoadParser.keyValues(&s)))) }
            throw s.unexpected(expecting: "SUSPEND, RESUME, RETRY or SET")
        }
        let ifNotExists = try SQLParser.ifNotExistsClause(&s)
        let name = try SQLParser.qualifiedName(&s)
        let properties = s.accept("PROPERTIES") ? try RoutineLoadParser.keyValues(&s) : [:]
        try s.expect("AS")
        guard s.current.isKeyword("INSERT") else {
            throw s.unexpected(expecting: "INSERT INTO … SELECT … FROM FILES(...)")
        }
        let start = s.index
        s.advance()
        let insert = try SQLParser.parseInsert(&s)
        var end = s.index
        if s.current.isSymbol(";") { end = s.index }
        let text = s.text(fromToken: start, toToken: end)
        guard case .select(let select) = insert.source, case .files = select.source else {
            throw ExprError(
                .syntax, "A pipe runs INSERT INTO <table> SELECT … FROM FILES(...)", position: s.tokens[start].offset)
        }
        return .pipe(
            .create(
                name: name, orReplace: orReplace, ifNotExists: ifNotExists, properties: properties, insert: insert,
                insertSQL: text))
    }

    private static func show(_ s: inout TokenStream) throws(ExprError) -> ShowPipesQuery {
        var query = ShowPipesQuery()
        if s.accept("FROM") || s.accept("IN") { query.database = try s.identifier("database name") }
        if s.accept("WHERE") {
            repeat {
                let field = try s.identifier("NAME or STATE").uppercased()
                switch field {
                case "NAME", "PIPE_NAME":
                    if s.accept("LIKE") {
                        query.namePattern = try s.stringLiteral("name pattern")
                    } else {
                        try s.expectSymbol("=")
                        query.name = try RoutineLoadParser.stringOrIdentifier(&s, "pipe name")
                    }
                case "STATE":
                    try s.expectSymbol("=")
                    query.state = try RoutineLoadParser.stringOrIdentifier(&s, "state").uppercased()
                default:
                    throw ExprError(.syntax, "SHOW PIPES filters on NAME and STATE", position: s.current.offset)
                }
            } while s.accept("AND")
        }
        query.ordering = try ShowOrdering.parse(&s)
        return query
    }
}
