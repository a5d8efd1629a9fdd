import SluiceExpr
import SluiceFormat

/// Statements about the session and the server rather than the data: SET, USE, KILL,
/// transaction control, and the SHOWs MySQL clients send on connect (spec mysql-protocol §4–§7).
enum SessionStatementParser {
    /// The statement at `s` when it is one of these, else nil (nothing consumed).
    static func parse(_ s: inout TokenStream) throws(ExprError) -> Statement? {
        if s.current.isKeyword("SET") {
            s.advance()
            return try parseSet(&s)
        }
        if s.current.isKeyword("USE") {
            s.advance()
            var name = try s.identifier("database name")
            if s.acceptSymbol(".") {
                guard name == "default_catalog" else {
                    throw ExprError(.syntax, "Unknown catalog '\(name)'", position: s.current.offset)
                }
                name = try s.identifier("database name")
            }
            return .use(name)
        }
        if s.current.isKeyword("BEGIN") || s.current.isKeyword("COMMIT") || s.current.isKeyword("ROLLBACK") {
            s.advance()
            _ = s.accept("WORK")
            return .transactionControl
        }
        if s.current.isKeyword("START"), s.peek().isKeyword("TRANSACTION") {
            s.advance()
            s.advance()
            return .transactionControl
        }
        if s.current.isKeyword("KILL") {
            s.advance()
            let queryOnly = s.accept("QUERY")
            if !queryOnly { _ = s.accept("CONNECTION") }
            return .kill(Int64(try s.integer("connection id")), queryOnly: queryOnly)
        }
        if s.current.isKeyword("ADMIN"), s.peek().isKeyword("SHOW") {
            s.advance()
            s.advance()
            try s.expect("FRONTEND")
            try s.expect("CONFIG")
            return .showServer(.frontendConfig, filter: try filter(&s))
        }
        return nil
    }

    /// After SHOW: the server SHOWs, or nil (nothing consumed).
    static func parseShow(_ s: inout TokenStream) throws(ExprError) -> Statement? {
        let start = s.index
        var global = false
        if s.accept("GLOBAL") {
            global = true
        } else {
            _ = s.accept("SESSION") || s.accept("LOCAL")
        }
        if s.accept("VARIABLES") { return .showVariables(global: global, filter: try filter(&s)) }
        if s.accept("STATUS") { return .showServer(.status, filter: try filter(&s)) }
        s.index = start
        let full = s.accept("FULL")
        if s.accept("PROCESSLIST") { return .showProcesslist(full: full) }
        s.index = start
        let simple: [(String, ServerShow)] = [
            ("WARNINGS", .warnings), ("ERRORS", .errors), ("COLLATION", .collation), ("CHARSET", .charset),
            ("ENGINES", .engines), ("PLUGINS", .plugins), ("PRIVILEGES", .privileges), ("FRONTENDS", .frontends),
            ("BACKENDS", .backends),
        ]
        for (keyword, show) in simple where s.accept(keyword) {
            if show == .warnings || show == .errors, s.accept("LIMIT") { _ = try s.integer("LIMIT count") }
            return .showServer(show, filter: try filter(&s))
        }
        if s.current.isKeyword("CHARACTER"), s.peek().isKeyword("SET") {
            s.advance()
            s.advance()
            return .showServer(.charset, filter: try filter(&s))
        }
        if s.current.isKeyword("COMPUTE"), s.peek().isKeyword("NODES") {
            s.advance()
            s.advance()
            return .showServer(.backends, filter: nil)
        }
        return nil
    }

    /// `[LIKE 'pattern' | WHERE predicate]`.
    static func filter(_ s: inout TokenStream) throws(ExprError) -> ShowFilter? {
        if s.accept("LIKE") { return .like(try s.stringLiteral("pattern")) }
        if s.accept("WHERE") { return .predicate(try ExprParser.parseExpression(&s)) }
        return nil
    }

    static func parseSet(_ s: inout TokenStream) throws(ExprError) -> Statement {
        // SET NAMES x [COLLATE y], SET CHARACTER SET x, SET CHARSET x, SET [scope] TRANSACTION …
        if s.accept("NAMES") || s.accept("CHARSET") || (s.current.isKeyword("CHARACTER") && s.peek().isKeyword("SET")) {
            skipToEnd(&s)
            return .setIgnored
        }
        if s.current.isKeyword("TRANSACTION")
            || ((s.current.isKeyword("SESSION") || s.current.isKeyword("GLOBAL")) && s.peek().isKeyword("TRANSACTION"))
        {
            skipToEnd(&s)
            return .setIgnored
        }
        var assignments = [SetAssignment]()
        repeat {
            assignments.append(try assignment(&s))
        } while s.acceptSymbol(",")
        return .set(assignments)
    }

    static func assignment(_ s: inout TokenStream) throws(ExprError) -> SetAssignment {
        var global = false
        let target: SetAssignment.Target
        if s.accept("GLOBAL") {
            global = true
        } else {
            _ = s.accept("SESSION") || s.accept("LOCAL")
        }
        if s.current.isSymbol("@") {
            guard case .variable(let reference) = try ExprParser.parsePrimary(&s) else {
                throw s.unexpected(expecting: "a variable")
            }
            switch reference.kind {
            case .user: target = .user(reference.name)
            case .system(let scope): target = .system(name: reference.name, global: global || scope == "global")
            }
        } else {
            target = .system(name: try s.identifier("variable name"), global: global)
        }
        if !s.acceptSymbol("=") {
            guard s.acceptSymbol(":"), s.acceptSymbol("=") else { throw s.unexpected(expecting: "'='") }
        }
        if s.current.isKeyword("DEFAULT") {
            s.advance()
            return SetAssignment(target: target, value: nil)
        }
        // Bare words (ON, OFF, utf8, STRICT_TRANS_TABLES) are values, not columns.
        if case .word(let word) = s.current.kind, !s.peek().isSymbol("("), !s.peek().isSymbol(".") {
            let upper = word.uppercased()
            if upper != "NULL", upper != "TRUE", upper != "FALSE" {
                s.advance()
                return SetAssignment(target: target, value: .literal(.string(word), .varchar(length: word.utf8.count)))
            }
        }
        return SetAssignment(target: target, value: try ExprParser.parseExpression(&s))
    }

    /// Skips the rest of the statement (up to `;` or the end).
    static func skipToEnd(_ s: inout TokenStream) {
        while !s.atEnd, !s.current.isSymbol(";") { s.advance() }
    }
}
