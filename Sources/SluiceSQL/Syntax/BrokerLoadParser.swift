import SluiceExpr
package import SluiceFiles

/// The Broker Load statements (spec C.2).
package enum BrokerLoadStatement: Sendable {
    /// `LOAD LABEL [db.]label (DATA INFILE ..., ...) WITH BROKER [name] [(...)] [PROPERTIES (...)]`
    case load(
        label: QualifiedName, descriptions: [FileDataDescription], storage: [String: String],
        properties: [String: String])
    /// `CANCEL LOAD [FROM db] WHERE LABEL = "label"`
    case cancel(database: String?, label: String)
    /// `SHOW LOAD [FROM db] [WHERE LABEL = "x" | LABEL LIKE "x"] [AND STATE = "..."] [ORDER BY ...] [LIMIT ...]`
    case show(ShowLoadQuery)
}

/// What SHOW LOAD lists.
package struct ShowLoadQuery: Sendable {
    package var database: String?
    package var label: String?
    /// `LABEL LIKE "x"`: labels containing `x` (StarRocks matches a substring, not a pattern).
    package var labelContains: String?
    package var state: String?
    /// ORDER BY and LIMIT.
    package var ordering = ShowOrdering()
}

enum BrokerLoadParser {
    /// A Broker Load statement at the stream's position, or nil (nothing consumed).
    static func parse(_ s: inout TokenStream) throws(ExprError) -> Statement? {
        if s.current.isKeyword("LOAD"), s.peek().isKeyword("LABEL") {
            s.advance()
            s.advance()
            return .brokerLoad(try load(&s))
        }
        if s.current.isKeyword("CANCEL"), s.peek().isKeyword("LOAD") {
            s.advance()
            s.advance()
            var database: String?
            if s.accept("FROM") || s.accept("IN") { database = try s.identifier("database name") }
            try s.expect("WHERE")
            let field = try s.identifier("LABEL")
            guard field.uppercased() == "LABEL" else {
                throw ExprError(.syntax, "CANCEL LOAD filters on LABEL", position: s.current.offset)
            }
            try s.expectSymbol("=")
            return .brokerLoad(
                .cancel(database: database, label: try RoutineLoadParser.stringOrIdentifier(&s, "label")))
        }
        if s.current.isKeyword("SHOW"), s.peek().isKeyword("LOAD") {
            s.advance()
            s.advance()
            return .brokerLoad(.show(try show(&s)))
        }
        return nil
    }

    private static func load(_ s: inout TokenStream) throws(ExprError) -> BrokerLoadStatement {
        let label = try SQLParser.qualifiedName(&s)
        try s.expectSymbol("(")
        var descriptions = [try dataDescription(&s)]
        while s.acceptSymbol(",") { descriptions.append(try dataDescription(&s)) }
        try s.expectSymbol(")")
        var storage = [String: String]()
        guard s.accept("WITH") else { throw s.unexpected(expecting: "WITH BROKER") }
        guard s.accept("BROKER") else { throw s.unexpected(expecting: "BROKER") }
        // A legacy broker name is accepted and ignored (broker-free since v2.5).
        if !s.current.isSymbol("("), !s.current.isKeyword("PROPERTIES"), !s.atEnd, !s.current.isSymbol(";") {
            _ = try RoutineLoadParser.stringOrIdentifier(&s, "broker name")
        }
        if s.current.isSymbol("(") { storage = try RoutineLoadParser.keyValues(&s) }
        let properties = s.accept("PROPERTIES") ? try RoutineLoadParser.keyValues(&s) : [:]
        return .load(label: label, descriptions: descriptions, storage: storage, properties: properties)
    }

    /// `DATA INFILE ("p", ...) [NEGATIVE] INTO TABLE t ...`.
    private static func dataDescription(_ s: inout TokenStream) throws(ExprError) -> FileDataDescription {
        try s.expect("DATA")
        try s.expect("INFILE")
        try s.expectSymbol("(")
        var paths = [try s.stringLiteral("file path")]
        while s.acceptSymbol(",") { paths.append(try s.stringLiteral("file path")) }
        try s.expectSymbol(")")
        let negative = s.accept("NEGATIVE")
        try s.expect("INTO")
        try s.expect("TABLE")
        var description = FileDataDescription(paths: paths, table: try s.identifier("table name"))
        description.negative = negative
        func once(_ isSet: Bool, _ what: String) throws(ExprError) {
            if isSet { throw ExprError(.syntax, "repeat setting of \(what)", position: s.current.offset) }
        }
        while true {
            if s.current.isKeyword("TEMPORARY") {
                throw ExprError(
                    .syntax, "TEMPORARY PARTITION is not supported: Sluice has no temporary partitions",
                    position: s.current.offset)
            } else if s.current.isKeyword("PARTITION") || s.current.isKeyword("PARTITIONS") {
                s.advance()
                try once(description.partitions != nil, "partition names")
                try s.expectSymbol("(")
                var names = [try s.identifier("partition name")]
                while s.acceptSymbol(",") { names.append(try s.identifier("partition name")) }
                try s.expectSymbol(")")
                description.partitions = names
            } else if s.current.isKeyword("COLUMNS"), s.peek().isKeyword("TERMINATED") {
                s.advance(); s.advance()
                try s.expect("BY")
                try once(description.columnSeparator != nil, "column separator")
                description.columnSeparator = try s.rawStringLiteral("column separator")
            } else if s.current.isKeyword("ROWS"), s.peek().isKeyword("TERMINATED") {
                s.advance(); s.advance()
                try s.expect("BY")
                try once(description.rowDelimiter != nil, "row delimiter")
                description.rowDelimiter = try s.rawStringLiteral("row delimiter")
            } else if s.current.isKeyword("FORMAT") {
                s.advance()
                try s.expect("AS")
                try once(description.format != nil, "format")
                description.format = try RoutineLoadParser.stringOrIdentifier(&s, "format")
            } else if s.current.isSymbol("("), s.peek(2).isSymbol("=") {
                try once(!description.formatOptions.isEmpty, "format options")
                description.formatOptions = try formatOptions(&s)
            } else if s.current.isSymbol("(") {
                try once(description.columnList != nil, "column list")
                try s.expectSymbol("(")
                var names = [try s.identifier("column name")]
                while s.acceptSymbol(",") { names.append(try s.identifier("column name")) }
                try s.expectSymbol(")")
                description.columnList = names
            } else if s.current.isKeyword("COLUMNS"), s.peek().isKeyword("FROM") {
                s.advance(); s.advance()
                try s.expect("PATH")
                try s.expect("AS")
                try once(description.columnsFromPath != nil, "columns from path")
                try s.expectSymbol("(")
                var names = [try s.identifier("column name")]
                while s.acceptSymbol(",") { names.append(try s.identifier("column name")) }
                try s.expectSymbol(")")
                description.columnsFromPath = names
            } else if s.current.isKeyword("SET") {
                s.advance()
                try once(description.assignments != nil, "SET")
                try s.expectSymbol("(")
                var assignments = [String]()
                repeat {
                    let start = s.index
                    _ = try s.identifier("column name")
                    try s.expectSymbol("=")
                    _ = try ExprParser.parseExpression(&s)
                    assignments.append(s.text(fromToken: start, toToken: s.index))
                } while s.acceptSymbol(",")
                try s.expectSymbol(")")
                description.assignments = assignments
            } else if s.current.isKeyword("WHERE") {
                s.advance()
                try once(description.filter != nil, "where predicate")
                let start = s.index
                _ = try ExprParser.parseExpression(&s)
                description.filter = s.text(fromToken: start, toToken: s.index)
            } else {
                return description
            }
        }
    }

    /// `(skip_header = 1 trim_space = true enclose = "\"" escape = "\\")`, commas optional.
    private static func formatOptions(_ s: inout TokenStream) throws(ExprError) -> [String: String] {
        try s.expectSymbol("(")
        var options = [String: String]()
        repeat {
            let key = try RoutineLoadParser.stringOrIdentifier(&s, "CSV option")
            try s.expectSymbol("=")
            if case .number(let text) = s.current.kind {
                s.advance()
                options[key] = text
            } else if case .string = s.current.kind {
                options[key] = try s.stringLiteral("option value")
            } else {
                options[key] = try s.identifier("option value")
            }
            _ = s.acceptSymbol(",")
        } while !s.current.isSymbol(")") && !s.atEnd
        try s.expectSymbol(")")
        return options
    }

    /// After `SHOW LOAD`.
    private static func show(_ s: inout TokenStream) throws(ExprError) -> ShowLoadQuery {
        var query = ShowLoadQuery()
        if s.accept("FROM") || s.accept("IN") { query.database = try s.identifier("database name") }
        if s.accept("WHERE") {
            repeat {
                let field = try s.identifier("LABEL or STATE").uppercased()
                switch field {
                case "LABEL":
                    if s.accept("LIKE") {
                        query.labelContains = try s.stringLiteral("label pattern")
                    } else {
                        try s.expectSymbol("=")
                        query.label = try RoutineLoadParser.stringOrIdentifier(&s, "label")
                    }
                case "STATE":
                    try s.expectSymbol("=")
                    query.state = try RoutineLoadParser.stringOrIdentifier(&s, "state").uppercased()
                default:
                    throw ExprError(.syntax, "SHOW LOAD filters on LABEL and STATE", position: s.current.offset)
                }
            } while s.accept("AND")
        }
        query.ordering = try ShowOrdering.parse(&s)
        return query
    }
}
