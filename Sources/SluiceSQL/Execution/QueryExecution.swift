import SluiceExpr
import SluiceFormat
import SluiceStorage

/// Executes SELECT: source → WHERE → (hash aggregate → HAVING) → projection → DISTINCT →
/// ORDER BY → LIMIT/OFFSET, batch by batch.
struct QueryExecution {
    let engine: StorageEngine
    let session: Session
    /// Where `information_schema` tables come from.
    let catalog: SystemCatalog

    init(engine: StorageEngine, session: Session, catalog: SystemCatalog? = nil) {
        self.engine = engine
        self.session = session
        self.catalog =
            catalog
            ?? SystemCatalog(
                engine: engine, globals: GlobalVariables(), routineLoad: nil,
                authorizer: Authorizer(access: engine.access, session: session))
    }

    /// A stream of input batches with their names and types.
    struct Source {
        var names: [String]
        var types: [ColumnType]
        var qualifiers: [String]
        var next: () throws -> (columns: [ColumnVector], rows: Int)?
        var statistics: () -> ScanStatistics
        /// Called once the query is done with the source (stops read-ahead).
        var close: () -> Void = {}
    }

    /// The query's rows as a cursor: a plain projection (no aggregate, ORDER BY or DISTINCT)
    /// streams batch by batch from the scan; anything else is computed first.
    func open(_ select: SelectStatement) throws -> RowCursor {
        let streams =
            select.orderBy.isEmpty && !select.distinct && select.groupBy.isEmpty && select.having == nil
            && !select.items.contains { $0.expr.containsAggregate }
        guard streams else {
            let (result, statistics) = try run(select)
            return RowCursor(result, statistics: statistics)
        }
        var select = select
        let budget = QueryBudget(session: session)
        let source = try makeSource(&select)
        let resolver = NameResolver(names: source.names, types: source.types, qualifiers: source.qualifiers)
        let binder = ExprBinder(resolver: resolver)
        let context = session.evaluationContext
        let filter = try select.filter.map { try binder.bind($0) }
        let items = try select.items.map { try binder.bind($0.expr) }
        let columns = zip(select.items, items).map { ResultColumn(name: Self.outputName($0), type: $1.type) }
        var skip = select.offset
        var remaining = select.limit ?? Int.max
        var returned = 0
        return RowCursor(
            columns: columns,
            pull: {
                while remaining > 0 {
                    try budget.check()
                    guard let raw = try source.next() else { return nil }
                    let batch = try filtered(raw, filter, context)
                    let lower = min(skip, batch.rows)
                    skip -= lower
                    let upper = remaining >= batch.rows - lower ? batch.rows : lower + remaining
                    guard lower < upper else { continue }
                    var outputs = try items.map {
                        try Evaluator.evaluate($0, batch: batch.columns, rows: batch.rows, context: context)
                    }
                    if lower > 0 || upper < batch.rows { outputs = outputs.map { $0.slice(lower..<upper) } }
                    remaining -= upper - lower
                    returned += upper - lower
                    return outputs
                }
                return nil
            },
            statistics: {
                var statistics = QueryStatistics()
                let scan = source.statistics()
                statistics.scanRows = scan.rows
                statistics.scanBytes = scan.bytes
                statistics.returnRows = returned
                return statistics
            },
            close: source.close,
            checkHeld: { try budget.check(memory: $0) })
    }

    func run(_ select: SelectStatement) throws -> (ResultSet, QueryStatistics) {
        var select = select
        let budget = QueryBudget(session: session)
        var source = try makeSource(&select)
        defer { source.close() }
        let next = source.next
        source.next = {
            try budget.check()
            return try next()
        }
        let resolver = NameResolver(names: source.names, types: source.types, qualifiers: source.qualifiers)
        let binder = ExprBinder(resolver: resolver)
        let context = session.evaluationContext
        let filter = try select.filter.map { try binder.bind($0) }
        let orderExprs = select.orderBy.map { resolveOrderExpr($0.expr, select.items) }
        let isAggregate =
            !select.groupBy.isEmpty || select.having != nil
            || select.items.contains { $0.expr.containsAggregate } || orderExprs.contains { $0.containsAggregate }

        var outputs: [ColumnVector]
        var keys: [ColumnVector]
        var columns: [ResultColumn]
        if isAggregate {
            (outputs, keys, columns) = try aggregate(select, orderExprs, source, binder, filter, context, budget)
        } else {
            (outputs, keys, columns) = try project(select, orderExprs, source, binder, filter, context, budget)
        }
        var rows = Array(0..<(outputs.first?.count ?? keys.first?.count ?? 0))
        if select.distinct { rows = distinctRows(outputs, rows) }
        if !keys.isEmpty { rows = sortRows(rows, keys, select.orderBy.map(\.descending)) }
        let start = min(select.offset, rows.count)
        let end =
            select.limit.map { start + min($0, rows.count - start) }
            ?? rows.count
        let window = Array(rows[start..<end])
        let identity =
            window.count == (outputs.first?.count ?? 0) && window.enumerated().allSatisfy { $0.offset == $0.element }
        let final = identity ? outputs : outputs.map { $0.gather(window) }
        var statistics = QueryStatistics()
        let scan = source.statistics()
        statistics.scanRows = scan.rows
        statistics.scanBytes = scan.bytes
        statistics.returnRows = window.count
        return (ResultSet(columns: columns, batches: final.isEmpty || window.isEmpty ? [] : [final]), statistics)
    }

    // MARK: Sources

    func makeSource(_ select: inout SelectStatement) throws -> Source {
        switch select.source {
        case .none:
            var done = false
            return Source(
                names: [], types: [], qualifiers: [],
                next: {
                    defer { done = true }
                    return done ? nil : ([], 1)
                }, statistics: { ScanStatistics() })
        case .generateSeries(let startExpr, let endExpr, let stepExpr, let alias):
            let empty = ExprBinder(resolver: NameResolver(names: [], types: [], qualifiers: []))
            func constant(_ e: Expr) throws -> Int64 {
                let bound = empty.coerce(try empty.bind(e), to: .bigint)
                let v = try Evaluator.evaluate(bound, batch: [], rows: 1, context: session.evaluationContext)
                guard case .int(let x) = v.value(at: 0) else {
                    throw SQLError(.analysis, "generate_series arguments must be non-NULL integers")
                }
                return x
            }
            let start = try constant(startExpr), end = try constant(endExpr)
            let step = try stepExpr.map(constant) ?? 1
            guard step != 0 else { throw SQLError(.analysis, "generate_series step must not be 0") }
            // nil once the series has passed `end` (or would overflow past BIGINT's ends).
            var cursor: Int64? = (step > 0 ? start <= end : start >= end) ? start : nil
            expandStar(&select, names: ["generate_series"])
            return Source(
                names: ["generate_series"], types: [.bigint], qualifiers: alias.map { [$0] } ?? [],
                next: {
                    guard cursor != nil else { return nil }
                    var values = [Int64]()
                    values.reserveCapacity(65536)
                    while values.count < 65536, let current = cursor {
                        values.append(current)
                        let (next, overflow) = current.addingReportingOverflow(step)
                        cursor = !overflow && (step > 0 ? next <= end : next >= end) ? next : nil
                    }
                    return ([ColumnVector(type: .bigint, ints: values)], values.count)
                },
                statistics: { ScanStatistics() })
        case .files(let properties, let alias):
            let function = try FilesFunction(properties, fileSystem: engine.fileSystem, timeZone: session.timeZone)
            return try function.makeSource(&select, alias: alias) { expandStar(&$0, names: $1) }
        case .table(let name, let alias):
            guard let database = name.database ?? session.database else {
                throw SQLError(.noDatabase, "No database selected: qualify '\(name.name)' as db.\(name.name)")
            }
            if SystemCatalog.isSystemDatabase(database) { return try systemSource(name, alias, &select) }
            let table = try engine.table(database: database, name: name.name)
            let allNames = table.schema.columns.map(\.name)
            expandStar(&select, names: allNames)
            var referenced = Set<String>()
            for item in select.items { item.expr.collectColumns(into: &referenced) }
            select.filter?.collectColumns(into: &referenced)
            for e in select.groupBy { e.collectColumns(into: &referenced) }
            select.having?.collectColumns(into: &referenced)
            for o in select.orderBy { o.expr.collectColumns(into: &referenced) }
            var indices = table.schema.columns.indices.filter {
                referenced.contains(table.schema.columns[$0].name.lowercased())
            }
            let countOnly = indices.isEmpty
            if countOnly { indices = [0] }
            let predicates = PruningPredicates.extract(select.filter, table: table)
            // Handed to the prefetch thread, which alone uses it from here on.
            nonisolated(unsafe) let scan = engine.scan(table, columns: indices, predicates: predicates)
            let qualifiers = [name.name] + (alias.map { [$0] } ?? [])
            // The scan decodes pages on the prefetch thread; its statistics are read there too,
            // after its last batch (the hand-over orders them before the consumer sees the end).
            let finalStatistics = StatisticsBox()
            let prefetcher = BatchPrefetcher {
                guard let batch = try scan.next() else {
                    finalStatistics.value = scan.statistics
                    return nil
                }
                return (countOnly ? [] : batch, batch.first?.count ?? 0)
            }
            return Source(
                names: countOnly ? [] : indices.map { allNames[$0] },
                types: countOnly ? [] : indices.map { table.schema.columns[$0].type },
                qualifiers: qualifiers,
                next: { try prefetcher.next() },
                statistics: { finalStatistics.value },
                close: { prefetcher.cancel() })
        }
    }

    /// An `information_schema` table: computed now, handed over as one batch.
    func systemSource(_ name: QualifiedName, _ alias: String?, _ select: inout SelectStatement) throws -> Source {
        guard let table = SystemCatalog.table(name.name) else {
            throw SQLError(.unknownTable, "Unknown table '\(SystemCatalog.schemaName).\(name.name)'")
        }
        let result = try catalog.read(table, session: session)
        expandStar(&select, names: result.columns.map(\.name))
        var batches = result.batches[...]
        return Source(
            names: result.columns.map(\.name), types: result.columns.map(\.type),
            qualifiers: [name.name] + (alias.map { [$0] } ?? []),
            next: {
                guard let batch = batches.popFirst() else { return nil }
                return (batch, batch.first?.count ?? 0)
            },
            statistics: { ScanStatistics() })
    }

    func expandStar(_ select: inout SelectStatement, names: [String]) {
        var items = [SelectStatement.Item]()
        for item in select.items {
            if case .star = item.expr {
                items.append(contentsOf: names.map { .init(expr: .column(name: $0, qualifier: nil), alias: nil) })
            } else {
                items.append(item)
            }
        }
        select.items = items
    }

    /// ORDER BY 2 → the second select item; ORDER BY alias → that item's expression.
    func resolveOrderExpr(_ expr: Expr, _ items: [SelectStatement.Item]) -> Expr {
        if case .literal(.int(let k), _) = expr, k >= 1, Int(k) <= items.count { return items[Int(k) - 1].expr }
        if case .column(let name, nil) = expr,
            let item = items.first(where: { $0.alias?.lowercased() == name.lowercased() })
        {
            return item.expr
        }
        return expr
    }

    /// HAVING may name select aliases (`HAVING c > 10` for `count(*) c`) unless a source column has that name.
    func substituteAliases(_ expr: Expr, _ items: [SelectStatement.Item], sourceNames: [String]) -> Expr {
        expr.rewrite { node in
            guard case .column(let name, nil) = node,
                !sourceNames.contains(where: { $0.lowercased() == name.lowercased() }),
                let item = items.first(where: { $0.alias?.lowercased() == name.lowercased() })
            else { return nil }
            return item.expr
        }
    }

    static func outputName(_ item: SelectStatement.Item) -> String {
        if let alias = item.alias { return alias }
        if case .column(let name, _) = item.expr { return name }
        return item.expr.sql
    }

    // MARK: Projection

    func filtered(_ batch: (columns: [ColumnVector], rows: Int), _ filter: BoundExpr?, _ context: EvaluationContext)
        throws -> (columns: [ColumnVector], rows: Int)
    {
        guard let filter else { return batch }
        let selected = try Evaluator.select(filter, batch: batch.columns, rows: batch.rows, context: context)
        if selected.count == batch.rows { return batch }
        return (batch.columns.map { $0.gather(selected) }, selected.count)
    }

    func project(
        _ select: SelectStatement, _ orderExprs: [Expr], _ source: Source, _ binder: ExprBinder,
        _ filter: BoundExpr?, _ context: EvaluationContext, _ budget: QueryBudget
    ) throws -> ([ColumnVector], [ColumnVector], [ResultColumn]) {
        let items = try select.items.map { try binder.bind($0.expr) }
        let orders = try orderExprs.map { try binder.bind($0) }
        var outputs = items.map { ColumnVector(type: $0.type) }
        var keys = orders.map { ColumnVector(type: $0.type) }
        let earlyStop =
            orders.isEmpty && !select.distinct
            ? select.limit.map { $0 > Int.max - select.offset ? Int.max : $0 + select.offset }
            : nil
        while let raw = try source.next() {
            let batch = try filtered(raw, filter, context)
            guard batch.rows > 0 else { continue }
            for (i, e) in items.enumerated() {
                outputs[i].append(
                    contentsOf: try Evaluator.evaluate(e, batch: batch.columns, rows: batch.rows, context: context))
            }
            for (i, e) in orders.enumerated() {
                keys[i].append(
                    contentsOf: try Evaluator.evaluate(e, batch: batch.columns, rows: batch.rows, context: context))
            }
            if let earlyStop, (outputs.first?.count ?? 0) >= earlyStop { break }
            try budget.check(memory: (outputs + keys).reduce(0) { $0 + $1.memoryFootprint })
        }
        let columns = zip(select.items, items).map { ResultColumn(name: Self.outputName($0), type: $1.type) }
        return (outputs, keys, columns)
    }

    // MARK: Aggregation

    func aggregate(
        _ select: SelectStatement, _ orderExprs: [Expr], _ source: Source, _ binder: ExprBinder,
        _ filter: BoundExpr?, _ context: EvaluationContext, _ budget: QueryBudget
    ) throws -> ([ColumnVector], [ColumnVector], [ResultColumn]) {
        let groupExprs = select.groupBy.map { resolveOrderExpr($0, select.items).normalized }
        var aggregateCalls = [Expr]()
        for item in select.items { item.expr.collectAggregates(into: &aggregateCalls) }
        let having = select.having.map { substituteAliases($0, select.items, sourceNames: source.names) }
        having?.collectAggregates(into: &aggregateCalls)
        for e in orderExprs { e.collectAggregates(into: &aggregateCalls) }

        let boundGroups = try groupExprs.map { try binder.bind($0) }
        var specs = [HashAggregator.Spec]()
        var argumentExprs = [BoundExpr?]()
        for call in aggregateCalls {
            guard case .call(let name, let args, let distinct) = call, let kind = AggregateKind(name: name) else {
                continue
            }
            var argument: BoundExpr?
            if let first = args.first, first != .star {
                guard args.count == 1 else { throw SQLError(.analysis, "\(name)() takes one argument") }
                if first.containsAggregate {
                    throw SQLError(.analysis, "Aggregate calls cannot be nested: \(call.sql)")
                }
                let bound = try binder.bind(first)
                argument = binder.coerce(bound, to: HashAggregator.argumentType(kind, bound.type))
            } else if kind != .count {
                throw SQLError(.analysis, "\(name)(*) is not valid; only count(*) is")
            }
            specs.append(
                .init(
                    kind: kind, argument: argument, distinct: distinct,
                    resultType: HashAggregator.resultType(kind, argument?.type)))
            argumentExprs.append(argument)
        }
        var aggregator = HashAggregator(keyTypes: boundGroups.map(\.type), specs: specs)
        while let raw = try source.next() {
            let batch = try filtered(raw, filter, context)
            guard batch.rows > 0 else { continue }
            let keyColumns = try boundGroups.map {
                try Evaluator.evaluate($0, batch: batch.columns, rows: batch.rows, context: context)
            }
            let arguments = try argumentExprs.map { e in
                try e.map { try Evaluator.evaluate($0, batch: batch.columns, rows: batch.rows, context: context) }
            }
            aggregator.add(keyColumns: keyColumns, arguments: arguments, rows: batch.rows)
            try budget.check(memory: aggregator.approximateBytes)
        }
        aggregator.ensureGlobalGroup()
        let aggregated = aggregator.finish()
        let rows = aggregated.first?.count ?? (boundGroups.isEmpty ? 1 : 0)
        let names = groupExprs.indices.map { "__g\($0)" } + aggregateCalls.indices.map { "__a\($0)" }
        let outputBinder = ExprBinder(
            resolver: NameResolver(names: names, types: aggregated.map(\.type), qualifiers: []))
        func rewrite(_ e: Expr) throws -> BoundExpr {
            let rewritten = e.normalized.rewrite { node in
                if let g = groupExprs.firstIndex(of: node) { return .column(name: "__g\(g)", qualifier: nil) }
                if let a = aggregateCalls.firstIndex(of: node) { return .column(name: "__a\(a)", qualifier: nil) }
                return nil
            }
            var leftover = Set<String>()
            rewritten.collectColumns(into: &leftover)
            if let bad = leftover.first(where: { !$0.hasPrefix("__") }) {
                throw SQLError(.analysis, "'\(bad)' must be an aggregate expression or appear in GROUP BY clause")
            }
            return try outputBinder.bind(rewritten)
        }
        var selected = Array(0..<rows)
        if let having {
            selected = try Evaluator.select(try rewrite(having), batch: aggregated, rows: rows, context: context)
        }
        let batch = selected.count == rows ? aggregated : aggregated.map { $0.gather(selected) }
        let items = try select.items.map { try rewrite($0.expr) }
        let outputs = try items.map { try Evaluator.evaluate($0, batch: batch, rows: selected.count, context: context) }
        let keys = try orderExprs.map {
            try Evaluator.evaluate(try rewrite($0), batch: batch, rows: selected.count, context: context)
        }
        let columns = zip(select.items, items).map { ResultColumn(name: Self.outputName($0), type: $1.type) }
        return (outputs, keys, columns)
    }

    // MARK: DISTINCT and ORDER BY

    func distinctRows(_ outputs: [ColumnVector], _ rows: [Int]) -> [Int] {
        var seen = Set<[Value]>()
        return rows.filter { r in seen.insert(outputs.map { $0.value(at: r) }).inserted }
    }

    /// Stable sort; NULLs first ascending, last descending (StarRocks).
    func sortRows(_ rows: [Int], _ keys: [ColumnVector], _ descending: [Bool]) -> [Int] {
        rows.sorted { a, b in
            for (k, key) in keys.enumerated() {
                let c = key.compareRows(a, b)
                if c != 0 { return descending[k] ? c > 0 : c < 0 }
            }
            return a < b
        }
    }
}

/// Scan statistics handed from the prefetch thread to the query (written before the end-of-scan
/// hand-over, read after it).
final class StatisticsBox: @unchecked Sendable {
    var value = ScanStatistics()
}
