package import SluiceFormat

/// A cursor over tokens with the helpers statement and expression parsers share.
package struct TokenStream: Sendable {
    package let tokens: [Token]
    package var index = 0
    /// Nesting depth of the expression being parsed (see ``ExprLimits``).
    package var depth = 0

    /// The statement's UTF-8 text (empty when built from tokens).
    package let source: [UInt8]

    package init(_ tokens: [Token]) {
        self.tokens = tokens
        self.source = []
    }

    package init(sql: String) throws(ExprError) {
        self.tokens = try Lexer.tokenize(sql)
        self.source = Array(sql.utf8)
    }

    /// The source text from token `from` up to (not including) token `to`, trimmed.
    package func text(fromToken from: Int, toToken to: Int) -> String {
        let start = tokens[min(from, tokens.count - 1)].offset
        let end = min(tokens[min(to, tokens.count - 1)].offset, source.count)
        guard start < end else { return "" }
        var slice = source[start..<end]
        while let last = slice.last, last == 32 || last == 9 || last == 10 || last == 13 { slice = slice.dropLast() }
        return String(decoding: slice, as: UTF8.self)
    }

    /// The current string literal exactly as written between its quotes (no escape processing:
    /// `'\t'` stays backslash-t, `'\x01'` stays hex), then advances.
    package mutating func rawStringLiteral(_ what: String) throws(ExprError) -> String {
        guard case .string = current.kind else { throw unexpected(expecting: what) }
        let raw = text(fromToken: index, toToken: index + 1)
        advance()
        guard raw.count >= 2 else { return "" }
        return String(raw.dropFirst().dropLast())
    }

    package var current: Token { tokens[min(index, tokens.count - 1)] }
    package func peek(_ k: Int = 1) -> Token { tokens[min(index + k, tokens.count - 1)] }
    package var atEnd: Bool { if case .end = current.kind { return true } else { return false } }

    package mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    /// Consumes `keyword` if it is next.
    package mutating func accept(_ keyword: String) -> Bool {
        guard current.isKeyword(keyword) else { return false }
        advance()
        return true
    }

    package mutating func acceptSymbol(_ symbol: String) -> Bool {
        guard current.isSymbol(symbol) else { return false }
        advance()
        return true
    }

    package mutating func expect(_ keyword: String) throws(ExprError) {
        guard accept(keyword) else { throw unexpected(expecting: keyword) }
    }

    package mutating func expectSymbol(_ symbol: String) throws(ExprError) {
        guard acceptSymbol(symbol) else { throw unexpected(expecting: "'\(symbol)'") }
    }

    /// An identifier (plain word or backquoted).
    package mutating func identifier(_ what: String = "identifier") throws(ExprError) -> String {
        switch current.kind {
        case .word(let w):
            advance()
            return w
        case .quotedIdentifier(let w):
            advance()
            return w
        default:
            throw unexpected(expecting: what)
        }
    }

    package mutating func stringLiteral(_ what: String = "string literal") throws(ExprError) -> String {
        guard case .string(let s) = current.kind else { throw unexpected(expecting: what) }
        advance()
        return s
    }

    package mutating func integer(_ what: String = "integer") throws(ExprError) -> Int {
        guard case .number(let text) = current.kind, let value = Int(text) else { throw unexpected(expecting: what) }
        advance()
        return value
    }

    /// Enters one level of expression nesting. - Throws: `.tooComplex` past the depth limit or
    /// near the end of the thread's stack.
    package mutating func enterNesting() throws(ExprError) {
        guard depth < ExprLimits.maxDepth else { throw ExprLimits.depthError(position: current.offset) }
        try StackGuard.check(position: current.offset)
        depth += 1
    }

    package mutating func leaveNesting() { depth -= 1 }

    /// - Throws: `.tooComplex` when a list has more items than ``ExprLimits/maxChildren``.
    package func checkChildren(_ count: Int) throws(ExprError) {
        if count > ExprLimits.maxChildren { throw ExprLimits.childrenError(count, position: current.offset) }
    }

    package func unexpected(expecting: String) -> ExprError {
        ExprError(.syntax, "Syntax error: unexpected \(current.text), expecting \(expecting)", position: current.offset)
    }
}

/// Precedence-climbing parser for SQL expressions (MySQL/StarRocks precedence).
package enum ExprParser {
    /// Parses a whole string as one expression.
    package static func parse(_ sql: String) throws(ExprError) -> Expr {
        var stream = try TokenStream(sql: sql)
        let expr = try parseExpression(&stream)
        guard stream.atEnd else { throw stream.unexpected(expecting: "end of expression") }
        return expr
    }

    /// Parses one expression; a whole (outermost) one is checked against ``ExprLimits``, since
    /// operator chains deepen the tree without nesting the parse.
    package static func parseExpression(_ s: inout TokenStream) throws(ExprError) -> Expr {
        try s.enterNesting()
        defer { s.leaveNesting() }
        let expr = try parseOr(&s)
        if s.depth == 1 { _ = try expr.checkedDepth() }
        return expr
    }

    static func parseOr(_ s: inout TokenStream) throws(ExprError) -> Expr {
        var left = try parseAnd(&s)
        while s.accept("OR") {
            left = .binary(.or, left, try parseAnd(&s))
        }
        return left
    }

    static func parseAnd(_ s: inout TokenStream) throws(ExprError) -> Expr {
        var left = try parseNot(&s)
        while s.accept("AND") || s.acceptSymbol("&&") {
            left = .binary(.and, left, try parseNot(&s))
        }
        return left
    }

    static func parseNot(_ s: inout TokenStream) throws(ExprError) -> Expr {
        if s.accept("NOT") || s.acceptSymbol("!") {
            try s.enterNesting()
            defer { s.leaveNesting() }
            return .unary(.not, try parseNot(&s))
        }
        return try parsePredicate(&s)
    }

    static func parsePredicate(_ s: inout TokenStream) throws(ExprError) -> Expr {
        let left = try parseAdditive(&s)
        if s.accept("IS") {
            let negated = s.accept("NOT")
            if s.accept("NULL") { return .isNull(left, negated: negated) }
            if s.accept("TRUE") { return wrapNot(.binary(.equal, left, .literal(.int(1), .boolean)), negated) }
            if s.accept("FALSE") { return wrapNot(.binary(.equal, left, .literal(.int(0), .boolean)), negated) }
            throw s.unexpected(expecting: "NULL")
        }
        let negated =
            s.current.isKeyword("NOT")
            && (s.peek().isKeyword("IN") || s.peek().isKeyword("BETWEEN") || s.peek().isKeyword("LIKE"))
        if negated { s.advance() }
        if s.accept("IN") {
            try s.expectSymbol("(")
            var list = [try parseExpression(&s)]
            while s.acceptSymbol(",") {
                list.append(try parseExpression(&s))
                try s.checkChildren(list.count)
            }
            try s.expectSymbol(")")
            return .inList(left, list, negated: negated)
        }
        if s.accept("BETWEEN") {
            let lower = try parseAdditive(&s)
            try s.expect("AND")
            let upper = try parseAdditive(&s)
            return .between(left, lower: lower, upper: upper, negated: negated)
        }
        if s.accept("LIKE") { return .like(left, pattern: try parseAdditive(&s), negated: negated) }
        if negated { throw s.unexpected(expecting: "IN, BETWEEN or LIKE") }
        for (symbol, op) in [
            ("=", BinaryOperator.equal), ("!=", .notEqual), ("<=", .lessEqual), (">=", .greaterEqual),
            ("<", .less), (">", .greater), ("<=>", .nullSafeEqual),
        ]
        where s.acceptSymbol(symbol) {
            return .binary(op, left, try parseAdditive(&s))
        }
        return left
    }

    private static func wrapNot(_ e: Expr, _ negated: Bool) -> Expr { negated ? .unary(.not, e) : e }

    static func parseAdditive(_ s: inout TokenStream) throws(ExprError) -> Expr {
        var left = try parseMultiplicative(&s)
        while true {
            if s.acceptSymbol("+") {
                left = .binary(.add, left, try parseMultiplicative(&s))
            } else if s.acceptSymbol("-") {
                left = .binary(.subtract, left, try parseMultiplicative(&s))
            } else if s.acceptSymbol("||") {
                left = .call(name: "concat", arguments: [left, try parseMultiplicative(&s)], distinct: false)
            } else {
                return left
            }
        }
    }

    static func parseMultiplicative(_ s: inout TokenStream) throws(ExprError) -> Expr {
        var left = try parseUnary(&s)
        while true {
            if s.acceptSymbol("*") {
                left = .binary(.multiply, left, try parseUnary(&s))
            } else if s.acceptSymbol("/") {
                left = .binary(.divide, left, try parseUnary(&s))
            } else if s.acceptSymbol("%") || s.accept("MOD") {
                left = .binary(.modulo, left, try parseUnary(&s))
            } else if s.accept("DIV") {
                left = .binary(.integerDivide, left, try parseUnary(&s))
            } else {
                return left
            }
        }
    }

    static func parseUnary(_ s: inout TokenStream) throws(ExprError) -> Expr {
        if s.acceptSymbol("-") {
            try s.enterNesting()
            defer { s.leaveNesting() }
            let operand = try parseUnary(&s)
            if case .literal(let v, let type) = operand {
                switch v {
                case .int(let i) where i != .min: return .literal(.int(-i), type)
                case .wide(let w) where w != .min: return .literal(.wide(-w), type)
                case .double(let d): return .literal(.double(-d), type)
                default: break
                }
            }
            return .unary(.negate, operand)
        }
        if s.acceptSymbol("+") {
            try s.enterNesting()
            defer { s.leaveNesting() }
            return try parseUnary(&s)
        }
        return try parsePrimary(&s)
    }

    package static func parsePrimary(_ s: inout TokenStream) throws(ExprError) -> Expr {
        let token = s.current
        switch token.kind {
        case .number(let text):
            s.advance()
            return try numberLiteral(text, position: token.offset)
        case .string(let text):
            s.advance()
            return .literal(.string(text), .varchar(length: max(1, text.utf8.count)))
        case .symbol("("):
            s.advance()
            let inner = try parseExpression(&s)
            try s.expectSymbol(")")
            return inner
        case .symbol("*"):
            s.advance()
            return .star
        case .symbol("@"):
            return try variableReference(&s)
        case .quotedIdentifier:
            return try columnReference(&s)
        case .word(let word):
            let upper = word.uppercased()
            switch upper {
            case "NULL":
                s.advance()
                return .literal(.null, nil)
            case "TRUE", "FALSE":
                s.advance()
                return .literal(.int(upper == "TRUE" ? 1 : 0), .boolean)
            case "CASE":
                s.advance()
                return try caseExpression(&s)
            case "CAST":
                s.advance()
                try s.expectSymbol("(")
                let inner = try parseExpression(&s)
                try s.expect("AS")
                let type = try parseType(&s)
                try s.expectSymbol(")")
                return .cast(inner, type)
            case "DATE", "DATETIME", "TIMESTAMP":
                if case .string(let text) = s.peek().kind {
                    s.advance()
                    s.advance()
                    return .cast(
                        .literal(.string(text), .varchar(length: text.utf8.count)), upper == "DATE" ? .date : .datetime)
                }
            case "INTERVAL":
                break
            case "_BINARY", "_UTF8", "_UTF8MB4", "_LATIN1":
                // Charset introducers (`_binary'…'` from PyMySQL): the string that follows.
                if case .string = s.peek().kind {
                    s.advance()
                    return try parsePrimary(&s)
                }
            case "X":
                // Hexadecimal string literal X'4142'.
                if case .string(let hex) = s.peek().kind, s.peek().offset == token.offset + 1 {
                    s.advance()
                    s.advance()
                    guard let text = hexString(hex) else {
                        throw ExprError(.syntax, "Invalid hexadecimal literal X'\(hex)'", position: token.offset)
                    }
                    return .literal(.string(text), .varchar(length: max(1, text.utf8.count)))
                }
            default:
                break
            }
            if s.peek().isSymbol("(") { return try functionCall(&s) }
            return try columnReference(&s)
        default:
            throw s.unexpected(expecting: "an expression")
        }
    }

    /// `@name` (user variable) or `@@[session.|global.|local.]name` (system variable).
    static func variableReference(_ s: inout TokenStream) throws(ExprError) -> Expr {
        let start = s.current.offset
        s.advance()
        var system = false
        if s.current.isSymbol("@"), s.current.offset == start + 1 {
            system = true
            s.advance()
        }
        var name: String
        switch s.current.kind {
        case .word(let w), .quotedIdentifier(let w), .string(let w): name = w
        default: throw s.unexpected(expecting: "a variable name")
        }
        s.advance()
        guard system else { return .variable(VariableReference(kind: .user, name: name)) }
        var scope: String?
        let lowered = name.lowercased()
        if ["session", "global", "local"].contains(lowered), s.current.isSymbol(".") {
            s.advance()
            scope = lowered
            name = try s.identifier("variable name")
        }
        return .variable(VariableReference(kind: .system(scope: scope), name: name))
    }

    /// The text of hexadecimal digits (pairs), or nil when they are not hex.
    static func hexString(_ hex: String) -> String? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 65...70: c - 55
            case 97...102: c - 87
            default: nil
            }
        }
        var i = 0
        while i < digits.count {
            guard let hi = nibble(digits[i]), let lo = nibble(digits[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func numberLiteral(_ text: String, position: Int) throws(ExprError) -> Expr {
        if !text.contains("."), !text.lowercased().contains("e") {
            if let v = Int64(text) {
                let type: ColumnType = Int32(exactly: v) != nil ? .int : .bigint
                return .literal(.int(v), type)
            }
            if let v = Int128(text) { return .literal(.wide(v), .largeint) }
            throw ExprError(.syntax, "Number out of range: \(text)", position: position)
        }
        if text.lowercased().contains("e") {
            guard let d = Double(text) else { throw ExprError(.syntax, "Bad number \(text)", position: position) }
            return .literal(.double(d), .double)
        }
        // Exact decimal literal: 0.1 is DECIMAL, so 0.1 + 0.2 = 0.3.
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let scale = parts.count > 1 ? parts[1].count : 0
        let digits = parts[0].drop { $0 == "0" }.count + scale
        let precision = max(1, max(digits, scale))
        guard precision <= 38, let v = DecimalArithmetic.parse(text, precision: 38, scale: scale) else {
            guard let d = Double(text) else { throw ExprError(.syntax, "Bad number \(text)", position: position) }
            return .literal(.double(d), .double)
        }
        return .literal(.wide(v), .decimal(precision: precision, scale: scale))
    }

    static func columnReference(_ s: inout TokenStream) throws(ExprError) -> Expr {
        let first = try s.identifier("column name")
        if s.current.isSymbol("."), case .word = s.peek().kind {
            s.advance()
            return .column(name: try s.identifier("column name"), qualifier: first)
        }
        if s.current.isSymbol("."), case .quotedIdentifier = s.peek().kind {
            s.advance()
            return .column(name: try s.identifier("column name"), qualifier: first)
        }
        if s.current.isSymbol("."), s.peek().isSymbol("*") {
            s.advance()
            s.advance()
            return .star
        }
        return .column(name: first, qualifier: nil)
    }

    static func functionCall(_ s: inout TokenStream) throws(ExprError) -> Expr {
        let name = try s.identifier("function name").lowercased()
        try s.expectSymbol("(")
        var args = [Expr]()
        var distinct = false
        if !s.acceptSymbol(")") {
            distinct = s.accept("DISTINCT")
            args.append(try parseExpression(&s))
            while s.acceptSymbol(",") {
                args.append(try parseExpression(&s))
                try s.checkChildren(args.count)
            }
            try s.expectSymbol(")")
        }
        return .call(name: name, arguments: args, distinct: distinct)
    }

    static func caseExpression(_ s: inout TokenStream) throws(ExprError) -> Expr {
        var operand: Expr?
        if !s.current.isKeyword("WHEN") { operand = try parseExpression(&s) }
        var branches = [WhenBranch]()
        while s.accept("WHEN") {
            let condition = try parseExpression(&s)
            try s.expect("THEN")
            branches.append(WhenBranch(condition: condition, result: try parseExpression(&s)))
            try s.checkChildren(branches.count * 2)
        }
        guard !branches.isEmpty else { throw s.unexpected(expecting: "WHEN") }
        var otherwise: Expr?
        if s.accept("ELSE") { otherwise = try parseExpression(&s) }
        try s.expect("END")
        return .caseWhen(operand: operand, branches: branches, otherwise: otherwise)
    }

    /// Parses a type name with optional `(args)`, e.g. `DECIMAL(10, 2)`, `VARCHAR(20)`, `INT`.
    package static func parseType(_ s: inout TokenStream) throws(ExprError) -> ColumnType {
        let position = s.current.offset
        var name = try s.identifier("type name")
        if name.equalsIgnoringCaseASCII("SIGNED") || name.equalsIgnoringCaseASCII("UNSIGNED") {
            _ = s.accept("INTEGER") || s.accept("INT")
            name = "bigint"
        }
        if name.equalsIgnoringCaseASCII("ARRAY"), s.acceptSymbol("<") {
            let element = try parseType(&s)
            try s.expectSymbol(">")
            return .array(element)
        }
        var args = [Int]()
        if s.acceptSymbol("(") {
            args.append(try s.integer("type length"))
            while s.acceptSymbol(",") { args.append(try s.integer("type scale")) }
            try s.expectSymbol(")")
        }
        guard let type = ColumnType.named(name, arguments: args) else {
            throw ExprError(
                .syntax,
                "Unknown or invalid type \(name)\(args.isEmpty ? "" : "(\(args.map(String.init).joined(separator: ",")))")",
                position: position)
        }
        return type
    }
}
