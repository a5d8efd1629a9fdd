import SluiceExpr
import SluiceFormat
import SluiceLoad
import SluiceStorage
import SluiceTxn

/// INSERT INTO … VALUES / SELECT. Strict by default (StarRocks' `enable_insert_strict`): a row
/// that does not convert or fit fails the whole statement, and nothing becomes visible. With
/// `enable_insert_strict = false` such rows are filtered out and counted (the MySQL OK packet's
/// warnings), and the rest commit.
///
/// A load like any other: it begins a transaction with the ``TransactionManager`` under its label
/// (`WITH LABEL`, or a generated `insert_…`), so labels are shared with Stream Load and Routine
/// Load, a failure aborts the transaction (`get_load_state` answers ABORTED), and the commit is
/// the manager's one-phase commit.
struct InsertExecution {
    let engine: StorageEngine
    let transactions: TransactionManager
    let session: Session

    func run(_ insert: InsertStatement) throws -> DMLOutcome {
        let (database, table) = try resolve(insert.table)
        var filtered = 0
        var outcome = try transactional(database: database, label: insert.label ?? "insert_\(Self.randomHex())") {
            let (rows, dropped) = try write(insert, into: table, transaction: $0)
            filtered = dropped
            return rows
        }
        outcome.filteredRows = filtered
        return outcome
    }

    /// The database and table a statement names.
    func resolve(_ name: QualifiedName) throws -> (String, TableMeta) {
        guard let database = name.database ?? session.database else {
            throw SQLError(.noDatabase, "No database selected: qualify '\(name.name)' as db.\(name.name)")
        }
        return (database, try engine.table(database: database, name: name.name))
    }

    /// Runs `body` in a transaction under `label`: it commits (returning the rows written), or
    /// the transaction is aborted with the failure (0 rows abort it too: nothing to commit).
    func transactional(database: String, label: String, _ body: (Transaction) throws -> Int) throws -> DMLOutcome {
        let transaction = try transactions.begin(database: database, label: label)
        do {
            let rows = try body(transaction)
            if rows == 0 { transactions.abort(transaction, reason: "no rows to write") }
            return DMLOutcome(rows: rows, label: label, transactionID: rows == 0 ? nil : transaction.id)
        } catch {
            transactions.abort(transaction, reason: "\(error)")
            throw error
        }
    }

    /// Writes full rows (one column per table column) and commits `transaction`; a row the
    /// writer refuses fails the statement when `strict`, else it is left out.
    /// - Parameter ops: per row, 1 = delete (merge-on-write tables).
    /// - Returns: the rows the writer refused.
    @discardableResult
    func commitRows(
        _ columns: [ColumnVector], into table: TableMeta, ops: [UInt8]? = nil, options: WriteOptions = .init(),
        strict: Bool = true, transaction: Transaction
    ) throws -> Int {
        let writer = try engine.makeWriter(table: table, options: options)
        do {
            let rejected = try writer.append(columns, ops: ops)
            if strict, let first = rejected.first {
                throw SQLError(
                    .dataQuality, "Insert has filtered data in strict mode: row \(first.row + 1): \(first.reason)")
            }
            guard rejected.count < (columns.first?.count ?? 0) else {
                writer.abort()
                return rejected.count
            }
            let prepared = try writer.finish()
            do {
                try transactions.commit(transaction, write: prepared)
            } catch {
                engine.discard(prepared)
                throw error
            }
            return rejected.count
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Converts the rows, writes them and commits `transaction`; 0 rows commit nothing.
    /// - Returns: rows written, and rows filtered out (non-strict).
    private func write(_ insert: InsertStatement, into table: TableMeta, transaction: Transaction) throws
        -> (written: Int, filtered: Int)
    {
        let schema = table.schema
        let targets: [Int]
        if let names = insert.columns {
            var seen = Set<Int>()
            targets = try names.map { name in
                guard let index = schema.index(of: name) else {
                    throw SQLError(.analysis, "Unknown column '\(name)' in table '\(table.name)'")
                }
                guard seen.insert(index).inserted else { throw SQLError(.analysis, "Column '\(name)' specified twice") }
                return index
            }
        } else {
            targets = Array(schema.columns.indices)
        }
        // A column list without every column is a partial update on a PRIMARY KEY table
        // (StarRocks 3.3+): the other columns keep their stored values.
        let partial = table.keysType == .primary && targets.count < schema.columns.count
        if partial, !table.keyColumnIndices.allSatisfy(targets.contains) {
            throw SQLError(.analysis, "should specify all key columns when insert to primary key table")
        }
        let mergeCondition = try mergeCondition(insert, table: table, partial: partial, targets: targets)
        var (source, unconverted) = try sourceColumns(insert, targets: targets, schema: schema)
        let rows = source.first?.count ?? 0
        guard rows > 0 else { return (0, 0) }
        var columns = [ColumnVector]()
        for (index, column) in schema.columns.enumerated() {
            if let position = targets.firstIndex(of: index) {
                var failures: [Int]? = []
                let converted = CastKernel.cast(source[position], to: column.type, failures: &failures)
                if session.insertStrict, let row = failures?.first {
                    let value = source[position].value(at: row).text(as: source[position].type) ?? "NULL"
                    throw SQLError(
                        .dataQuality,
                        "Insert has filtered data in strict mode: value '\(value)' of row \(row + 1) cannot be converted to \(column.type.sqlName) for column '\(column.name)'"
                    )
                }
                unconverted.formUnion(failures ?? [])
                columns.append(converted)
            } else if partial, column.defaultValue == nil, !column.isNullable {
                columns.append(ColumnVector(type: column.type, repeating: .zero(of: column.type), count: rows))
            } else {
                columns.append(try defaultColumn(column, rows: rows))
            }
        }
        if !unconverted.isEmpty {
            let kept = (0..<rows).filter { !unconverted.contains($0) }
            columns = columns.map { $0.gather(kept) }
            source = []
            guard !kept.isEmpty else { return (0, rows) }
        }
        let rejected = try commitRows(
            columns, into: table,
            options: WriteOptions(partialColumns: partial ? targets.sorted() : nil, mergeCondition: mergeCondition),
            strict: session.insertStrict, transaction: transaction)
        let filtered = unconverted.count + rejected
        return (rows - filtered, filtered)
    }

    /// `PROPERTIES ("merge_condition" = "col")`, checked like a load's (StarRocks' messages).
    private func mergeCondition(_ insert: InsertStatement, table: TableMeta, partial: Bool, targets: [Int]) throws
        -> Int?
    {
        var options = LoadOptions()
        for (key, value) in insert.properties {
            guard key.lowercased() == "merge_condition" else {
                throw SQLError(.analysis, "Unknown INSERT property '\(key)': the one INSERT takes is merge_condition")
            }
            options.mergeCondition = value
        }
        guard options.mergeCondition != nil else { return nil }
        options.partialUpdate = partial
        do {
            return try TableModelRules.check(table: table, options: options, named: Set(targets)).mergeCondition
        } catch let error as LoadError {
            throw SQLError(.analysis, error.message)
        }
    }

    /// The statement's rows as columns in target order, and the rows (non-strict) whose values
    /// did not convert (their cells hold NULL).
    private func sourceColumns(_ insert: InsertStatement, targets: [Int], schema: TableSchema) throws
        -> ([ColumnVector], Set<Int>)
    {
        switch insert.source {
        case .values(let rows):
            let binder = ExprBinder(resolver: NameResolver(names: [], types: [], qualifiers: []))
            var columns = targets.map { ColumnVector(type: schema.columns[$0].type) }
            var unconverted = Set<Int>()
            for (r, row) in rows.enumerated() {
                guard row.count == targets.count else {
                    throw SQLError(
                        .analysis,
                        "Column count doesn't match value count at row \(r + 1): expected \(targets.count), got \(row.count)"
                    )
                }
                for (c, expr) in row.enumerated() {
                    let target = schema.columns[targets[c]]
                    let bound = try binder.bind(expr)
                    let value = try Evaluator.evaluate(bound, batch: [], rows: 1, context: session.evaluationContext)
                    var failures: [Int]? = []
                    let converted = CastKernel.cast(value, to: target.type, failures: &failures)
                    if failures?.isEmpty == false {
                        guard !session.insertStrict else {
                            throw SQLError(
                                .dataQuality,
                                "Insert has filtered data in strict mode: value \(expr.sql) of row \(r + 1) cannot be converted to \(target.type.sqlName) for column '\(target.name)'"
                            )
                        }
                        unconverted.insert(r)
                        columns[c].appendNull()
                        continue
                    }
                    columns[c].append(from: converted, row: 0)
                }
            }
            return (columns, unconverted)
        case .select(let select):
            let (result, _) = try QueryExecution(engine: engine, session: session).run(select)
            guard result.columns.count == targets.count else {
                throw SQLError(
                    .analysis,
                    "Column count doesn't match value count: the table takes \(targets.count), the query returns \(result.columns.count)"
                )
            }
            var columns = result.columns.map { ColumnVector(type: $0.type) }
            for batch in result.batches {
                for c in batch.indices { columns[c].append(contentsOf: batch[c]) }
            }
            return (columns, [])
        }
    }

    private func defaultColumn(_ column: ColumnSchema, rows: Int) throws -> ColumnVector {
        guard let text = column.defaultValue else {
            guard column.isNullable else {
                throw SQLError(.analysis, "Column '\(column.name)' has no default value and does not allow NULL")
            }
            return ColumnVector(type: column.type, repeating: .null, count: rows)
        }
        if text == "CURRENT_TIMESTAMP" {
            let local = session.timeZone.toLocal(utcMicros: session.nowMicros)
            let now = local - CivilTime.floorDivide(local, CivilTime.microsPerSecond).1
            let value: Value =
                column.type == .date ? .int(CivilTime.floorDivide(now, CivilTime.microsPerDay).0) : .int(now)
            return ColumnVector(type: column.type, repeating: value, count: rows)
        }
        guard case .success(let value) = ValueParser.parse(text, as: column.type) else {
            throw SQLError(.analysis, "Invalid default value '\(text)' of column '\(column.name)'")
        }
        return ColumnVector(type: column.type, repeating: value, count: rows)
    }

    /// A random id shaped like StarRocks' query ids (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`), the
    /// tail of default labels (`insert_…`).
    static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        func hex(_ digits: Int) -> String {
            let value: UInt64 = generator.next()
            let text = String(value >> (64 - 4 * UInt64(digits)), radix: 16)
            return String(repeating: "0", count: digits - text.count) + text
        }
        return "\(hex(8))-\(hex(4))-\(hex(4))-\(hex(4))-\(hex(12))"
    }
}

/// What INSERT, DELETE and UPDATE did: rows written and the transaction that made them visible
/// (nil when nothing was committed).
package struct DMLOutcome: Sendable, Hashable {
    package var rows: Int
    package var label: String
    package var transactionID: Int64?
    /// Rows left out under `enable_insert_strict = false`.
    package var filteredRows = 0

    package init(rows: Int, label: String, transactionID: Int64? = nil) {
        self.rows = rows
        self.label = label
        self.transactionID = transactionID
    }
}
