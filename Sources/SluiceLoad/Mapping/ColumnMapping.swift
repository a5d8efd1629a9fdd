package import SluiceExpr
package import SluiceFormat
package import SluiceStorage

/// How source fields become table columns: the `columns` header (or positional mapping), derived
/// column expressions and the `where` filter, bound once per load.
package struct ColumnMapping: Sendable {
    /// Names of the source fields, in file order.
    package let sourceNames: [String]
    /// For each table column: how its value is produced.
    package let targets: [Target]
    /// `where`, bound against the table's columns.
    package let filter: BoundExpr?
    /// Each row's operation (`__op`) for a PRIMARY KEY table; nil = every row upserts.
    package let operation: LoadOperation?
    /// Schema indices of the columns `columns` names (source fields and expressions); nil when
    /// there is no `columns` (every column is read positionally).
    package let named: Set<Int>?
    /// For each source field: the table column it feeds directly, when nothing else reads it
    /// (then the CSV path parses it straight into that column's type).
    package let directTargets: [Int?]

    package enum Target: Sendable {
        /// Source field `index`, converted to the column type.
        case source(Int)
        /// An expression over source fields.
        case expression(BoundExpr)
        /// The column's default (or NULL).
        case defaultValue(Value)
    }

    /// Binds `columns` and `where` for `table`.
    /// - Parameter operationField: read a source field named `__op` when `columns` does not
    ///   mention it (JSON objects carry it as a key; a missing key means upsert).
    /// - Throws: ``LoadError`` `.analysis` naming the column or expression at fault.
    package init(
        table: TableMeta, columns: String?, filter: String?, nowMicros: Int64, timeZone: SessionTimeZone,
        operationField: Bool = false, partialUpdate: Bool = false
    ) throws {
        let schema = table.schema
        var names = [String]()
        var derived = [(String, Expr)]()
        if let columns, !columns.trimmingCharacters(in: " \t").isEmpty {
            do {
                var s = try TokenStream(sql: columns)
                repeat {
                    let name = try s.identifier("column name")
                    if s.acceptSymbol("=") {
                        derived.append((name, try ExprParser.parseExpression(&s)))
                    } else {
                        guard derived.isEmpty else {
                            throw ExprError(.syntax, "source column '\(name)' must come before derived columns")
                        }
                        names.append(name)
                    }
                } while s.acceptSymbol(",")
                guard s.atEnd else { throw s.unexpected(expecting: "',' or end of columns") }
            } catch {
                throw LoadError(.analysis, "Invalid columns '\(columns)': \(error)")
            }
        } else {
            names = schema.columns.map(\.name)
        }
        var seen = Set<String>()
        for name in names + derived.map(\.0) where !seen.insert(name.lowercased()).inserted {
            throw LoadError(.analysis, "Duplicate column name '\(name)' in columns")
        }
        let takesOperations = table.keysType == .primary
        let opName = LoadOperation.column
        let automaticField = operationField && takesOperations && !seen.contains(opName)
        if automaticField { names.append(opName) }
        sourceNames = names
        let sourceResolver = NameResolver(names: names, types: names.map { _ in .string })
        let binder = ExprBinder(resolver: sourceResolver)
        // `__op` is not a table column: PRIMARY KEY tables take it as the row's operation, other
        // tables ignore it (rows load as data, as in StarRocks).
        var operation: LoadOperation?
        if let d = derived.first(where: { $0.0.lowercased() == opName }) {
            let bound = try LoadOperation.derived(d.1, binder: binder)
            if takesOperations { operation = bound }
            derived.removeAll { $0.0.lowercased() == opName }
        } else if takesOperations, let index = names.firstIndex(where: { $0.lowercased() == opName }) {
            operation = .field(index, absentIsUpsert: automaticField)
        }
        self.operation = operation
        var targets = [Target]()
        for column in schema.columns {
            if let d = derived.first(where: { $0.0.lowercased() == column.name.lowercased() }) {
                do {
                    targets.append(.expression(try binder.bind(d.1)))
                } catch {
                    throw LoadError(.analysis, "Invalid expression for column '\(column.name)': \(error)")
                }
            } else if let index = names.firstIndex(where: { $0.lowercased() == column.name.lowercased() }) {
                targets.append(.source(index))
            } else if let text = column.defaultValue {
                targets.append(.defaultValue(try Self.defaultValue(text, column, nowMicros, timeZone)))
            } else if column.isNullable {
                targets.append(.defaultValue(.null))
            } else if partialUpdate {
                // A partial update's new keys get the type's zero value here (StarRocks' row mode);
                // existing keys keep their stored value (applied at commit).
                targets.append(.defaultValue(.zero(of: column.type)))
            } else {
                throw LoadError(
                    .analysis, "Column '\(column.name)' has no default value and is not nullable; it must be in columns"
                )
            }
        }
        for (name, _) in derived where schema.index(of: name) == nil {
            throw LoadError(.analysis, "Unknown column '\(name)' in table '\(table.name)'")
        }
        self.targets = targets
        if let columns, !columns.trimmingCharacters(in: " \t").isEmpty {
            var named = Set<Int>()
            for (c, target) in targets.enumerated() {
                switch target {
                case .source, .expression: named.insert(c)
                case .defaultValue: break
                }
            }
            self.named = named
        } else {
            self.named = nil
        }
        var referenced = Set<Int>()
        for target in targets { if case .expression(let e) = target { e.collectColumns(into: &referenced) } }
        switch operation {
        case .field(let j, _): referenced.insert(j)
        case .expression(let e): e.collectColumns(into: &referenced)
        default: break
        }
        var direct = [Int?](repeating: nil, count: names.count)
        var uses = [Int](repeating: 0, count: names.count)
        for (c, target) in targets.enumerated() {
            if case .source(let j) = target {
                uses[j] += 1
                direct[j] = c
            }
        }
        for j in names.indices where uses[j] != 1 || referenced.contains(j) { direct[j] = nil }
        self.directTargets = direct
        if let filter, !filter.trimmingCharacters(in: " \t").isEmpty {
            do {
                let tableResolver = NameResolver(names: schema.columns.map(\.name), types: schema.columns.map(\.type))
                let bound = try ExprBinder(resolver: tableResolver).bind(try ExprParser.parse(filter))
                self.filter = ExprBinder(resolver: tableResolver).coerce(bound, to: .boolean)
            } catch {
                throw LoadError(.analysis, "Invalid where '\(filter)': \(error)")
            }
        } else {
            self.filter = nil
        }
    }

    static func defaultValue(_ text: String, _ column: ColumnSchema, _ nowMicros: Int64, _ zone: SessionTimeZone) throws
        -> Value
    {
        if text == "CURRENT_TIMESTAMP" {
            let local = zone.toLocal(utcMicros: nowMicros)
            let seconds = local - CivilTime.floorDivide(local, CivilTime.microsPerSecond).1
            return column.type == .date ? .int(CivilTime.floorDivide(seconds, CivilTime.microsPerDay).0) : .int(seconds)
        }
        guard case .success(let value) = ValueParser.parse(text, as: column.type) else {
            throw LoadError(.analysis, "Invalid default value '\(text)' of column '\(column.name)'")
        }
        return value
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}

extension BoundExpr {
    /// Input column indices this expression reads.
    func collectColumns(into set: inout Set<Int>) {
        switch self {
        case .column(let i, _): set.insert(i)
        case .literal: break
        case .call(_, let args, _): for a in args { a.collectColumns(into: &set) }
        }
    }
}
