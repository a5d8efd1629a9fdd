import SluiceExpr
import SluiceFormat
import SluiceStorage

/// CREATE TABLE in StarRocks syntax.
enum TableDefinitionParser {
    static let defaultBuckets = 2

    static func parseCreateTable(_ s: inout TokenStream) throws(ExprError) -> Statement {
        let ifNotExists = try SQLParser.ifNotExistsClause(&s)
        let name = try SQLParser.qualifiedName(&s)
        if !s.current.isSymbol("(") {
            // CREATE TABLE … AS SELECT.
            let properties = s.accept("PROPERTIES") ? try RoutineLoadParser.keyValues(&s) : [:]
            try s.expect("AS")
            return .createTableAs(name, try SelectParser.parse(&s), properties: properties, ifNotExists: ifNotExists)
        }
        try s.expectSymbol("(")
        var columns = [ColumnSchema]()
        var declaredNullable = Set<String>()
        repeat {
            if s.current.isKeyword("INDEX") {
                throw ExprError(.syntax, "Indexes are not supported", position: s.current.offset)
            }
            let (column, explicitNull) = try self.column(&s, id: columns.count)
            if explicitNull { declaredNullable.insert(column.name) }
            columns.append(column)
        } while s.acceptSymbol(",")
        try s.expectSymbol(")")
        var definition = TableDefinition(name: name.name, columns: columns)
        definition.declaredNullable = declaredNullable
        var distribution: Distribution?
        var keyClause: KeysType?
        while !s.atEnd, !s.current.isSymbol(";") {
            if s.accept("ENGINE") {
                try s.expectSymbol("=")
                let engine = try s.identifier("engine")
                guard engine.uppercased() == "OLAP" else {
                    throw ExprError(.syntax, "Unknown engine \(engine)", position: s.current.offset)
                }
            } else if let model = keysType(s.current) {
                guard keyClause == nil else {
                    throw ExprError(.syntax, "A table has one key clause", position: s.current.offset)
                }
                s.advance()
                try s.expect("KEY")
                keyClause = model
                definition.keysType = model
                definition.keyColumns = try identifierList(&s)
            } else if s.accept("COMMENT") {
                _ = try s.stringLiteral("comment")
            } else if s.accept("PARTITION") {
                try s.expect("BY")
                try partitioning(&s, into: &definition)
            } else if s.accept("DISTRIBUTED") {
                try s.expect("BY")
                distribution = try self.distribution(&s)
            } else if s.accept("ORDER") {
                try s.expect("BY")
                definition.sortKey = try identifierList(&s)
            } else if s.accept("PROPERTIES") {
                definition.properties = try properties(&s)
            } else {
                throw s.unexpected(
                    expecting:
                        "a key clause (DUPLICATE, PRIMARY, UNIQUE or AGGREGATE KEY), PARTITION BY, DISTRIBUTED BY, ORDER BY or PROPERTIES"
                )
            }
        }
        if keyClause == nil, columns.contains(where: { $0.aggregate != nil }) {
            // No key clause but aggregated columns: an AGGREGATE KEY table keyed by the others.
            definition.keysType = .aggregate
        }
        if definition.keysType == .duplicate, let sortKey = definition.sortKey {
            // On a DUPLICATE KEY table ORDER BY is the sort key, which the key clause also names.
            definition.keyColumns = sortKey
            definition.sortKey = nil
        }
        definition.distribution = distribution ?? Distribution(columns: [], buckets: defaultBuckets)
        definition.distributionGiven = distribution != nil
        return .createTable(name, definition, ifNotExists: ifNotExists)
    }

    /// The model a key clause's first word names, if it is one.
    static func keysType(_ token: Token) -> KeysType? {
        if token.isKeyword("DUPLICATE") { return .duplicate }
        if token.isKeyword("PRIMARY") { return .primary }
        if token.isKeyword("UNIQUE") { return .unique }
        if token.isKeyword("AGGREGATE") { return .aggregate }
        return nil
    }

    /// One column definition; also whether it said `NULL` explicitly.
    static func column(_ s: inout TokenStream, id: Int) throws(ExprError) -> (ColumnSchema, explicitNull: Bool) {
        let name = try s.identifier("column name")
        let type = try ExprParser.parseType(&s)
        var column = ColumnSchema(id: id, name: name, type: type)
        var explicitNull = false
        if case .word(let word) = s.current.kind {
            if let aggregate = AggregateType(rawValue: word.uppercased()) {
                s.advance()
                column.aggregate = aggregate
            } else if ["HLL_UNION", "BITMAP_UNION", "PERCENTILE_UNION"].contains(word.uppercased()) {
                throw ExprError(
                    .syntax,
                    "Aggregate type \(word.uppercased()) is not supported; use SUM, MAX, MIN, REPLACE or REPLACE_IF_NOT_NULL",
                    position: s.current.offset)
            }
        }
        while true {
            if s.accept("NOT") {
                try s.expect("NULL")
                column.isNullable = false
            } else if s.accept("NULL") {
                column.isNullable = true
                explicitNull = true
            } else if s.accept("DEFAULT") {
                switch s.current.kind {
                case .string(let text), .number(let text):
                    s.advance()
                    guard case .success = ValueParser.parse(text, as: type) else {
                        throw ExprError(
                            .syntax, "Invalid default value '\(text)' for column \(name)", position: s.current.offset)
                    }
                    column.defaultValue = text
                case .word(let w) where w.uppercased() == "NULL":
                    s.advance()
                case .word(let w) where w.uppercased() == "CURRENT_TIMESTAMP":
                    s.advance()
                    column.defaultValue = "CURRENT_TIMESTAMP"
                default:
                    throw s.unexpected(expecting: "a default value")
                }
            } else if s.accept("COMMENT") {
                column.comment = try s.stringLiteral("comment")
            } else if s.accept("KEY") {
                column.isKey = true
            } else {
                return (column, explicitNull)
            }
        }
    }

    static func identifierList(_ s: inout TokenStream) throws(ExprError) -> [String] {
        try s.expectSymbol("(")
        var names = [try s.identifier("column name")]
        while s.acceptSymbol(",") { names.append(try s.identifier("column name")) }
        try s.expectSymbol(")")
        return names
    }

    static func partitioning(_ s: inout TokenStream, into definition: inout TableDefinition) throws(ExprError) {
        if s.accept("RANGE") {
            let columns = try identifierList(&s)
            guard columns.count == 1 else {
                throw ExprError(
                    .syntax, "RANGE partitioning on more than one column is not supported", position: s.current.offset)
            }
            definition.partitioning = .range(column: columns[0])
            try s.expectSymbol("(")
            if !s.current.isSymbol(")") {
                repeat {
                    try s.expect("PARTITION")
                    definition.partitions.append(try partitionDefinition(&s, introduced: true))
                } while s.acceptSymbol(",")
            }
            try s.expectSymbol(")")
            return
        }
        let position = s.current.offset
        let function = try s.identifier("date_trunc")
        guard function.lowercased() == "date_trunc" else {
            throw ExprError(
                .syntax, "Only PARTITION BY RANGE(col) and PARTITION BY date_trunc('unit', col) are supported",
                position: position)
        }
        try s.expectSymbol("(")
        let unitText = try s.stringLiteral("time unit")
        guard let unit = TimeUnit(rawValue: unitText.lowercased()) else {
            throw ExprError(.syntax, "Unknown time unit '\(unitText)'", position: position)
        }
        try s.expectSymbol(",")
        let column = try s.identifier("column name")
        try s.expectSymbol(")")
        definition.partitioning = .dateTrunc(unit: unit, column: column)
    }

    /// `p VALUES LESS THAN ("x" | MAXVALUE)` or `p VALUES [("a"), ("b"))`, after `PARTITION`.
    static func partitionDefinition(_ s: inout TokenStream, introduced: Bool) throws(ExprError) -> PartitionDefinition {
        _ = try SQLParser.ifNotExistsClause(&s)
        let name = try s.identifier("partition name")
        try s.expect("VALUES")
        if s.accept("LESS") {
            try s.expect("THAN")
            if s.accept("MAXVALUE") { return PartitionDefinition(name: name, upper: nil) }
            try s.expectSymbol("(")
            let upper = s.accept("MAXVALUE") ? nil : try boundLiteral(&s)
            try s.expectSymbol(")")
            return PartitionDefinition(name: name, upper: upper)
        }
        try s.expectSymbol("[")
        try s.expectSymbol("(")
        let lower = try boundLiteral(&s)
        try s.expectSymbol(")")
        try s.expectSymbol(",")
        try s.expectSymbol("(")
        let upper = try boundLiteral(&s)
        try s.expectSymbol(")")
        try s.expectSymbol(")")
        return PartitionDefinition(name: name, lower: lower, upper: upper)
    }

    static func boundLiteral(_ s: inout TokenStream) throws(ExprError) -> String {
        switch s.current.kind {
        case .string(let text), .number(let text):
            s.advance()
            return text
        case .symbol("-"):
            s.advance()
            guard case .number(let text) = s.current.kind else { throw s.unexpected(expecting: "a number") }
            s.advance()
            return "-" + text
        default:
            throw s.unexpected(expecting: "a partition value")
        }
    }

    static func distribution(_ s: inout TokenStream) throws(ExprError) -> Distribution {
        var columns = [String]()
        if s.accept("HASH") {
            columns = try identifierList(&s)
        } else {
            try s.expect("RANDOM")
        }
        var buckets = defaultBuckets
        if s.accept("BUCKETS") {
            if s.accept("AUTO") {
                buckets = defaultBuckets
            } else {
                buckets = try s.integer("bucket count")
            }
        }
        return Distribution(columns: columns, buckets: buckets)
    }

    static func properties(_ s: inout TokenStream) throws(ExprError) -> [String: String] {
        try s.expectSymbol("(")
        var result = [String: String]()
        if !s.current.isSymbol(")") {
            repeat {
                let key = try s.stringLiteral("property name")
                try s.expectSymbol("=")
                result[key] = try s.stringLiteral("property value")
            } while s.acceptSymbol(",")
        }
        try s.expectSymbol(")")
        return result
    }
}
