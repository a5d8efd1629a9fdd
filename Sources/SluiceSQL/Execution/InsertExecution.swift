import Foundation
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
    /// The error-log URL of a load's log name (the server's), for strict-mode failures.
    var errorLogURL: (@Sendable (String) -> String)? = nil

    /// - Parameter cursor: the SELECT's rows when the caller opened them already (CREATE TABLE
    ///   AS SELECT reads its column types from them first).
    func run(_ insert: InsertStatement, rows cursor: RowCursor? = nil) throws -> DMLOutcome {
        let (database, table) = try resolve(insert.table)
        var filtered = 0
        var outcome = try transactional(database: database, label: insert.label ?? "insert_\(Self.randomHex())") {
            let (rows, dropped) = try write(insert, rows: cursor, into: table, transaction: $0)
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
            if strict, let first = rejected.first { throw Self.refused(first, firstRow: 0) }
            guard rejected.count < (columns.first?.count ?? 0) else {
                writer.abort()
                return rejected.count
            }
            try commit(writer, transaction)
            return rejected.count
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Finishes `writer` and commits its rows under `transaction`; a failed commit removes them.
    private func commit(_ writer: TableWriter, _ transaction: Transaction) throws {
        let prepared = try writer.finish()
        do {
            try transactions.commit(transaction, write: prepared)
        } catch {
            engine.discard(prepared)
            throw error
        }
    }

    /// The strict-mode failure for a row the writer refused (rows numbered from `firstRow`).
    private static func refused(_ row: RejectedRow, firstRow: Int) -> SQLError {
        SQLError(.dataQuality, "Insert has filtered data in strict mode: row \(firstRow + row.row + 1): \(row.reason)")
    }

    /// Converts the rows batch by batch as the query yields them, writes them through one writer
    /// (bounded memory: segments flush as it fills) and commits `transaction`; 0 rows commit
    /// nothing.
    /// - Parameter cursor: the SELECT's rows when the caller opened them already (CREATE TABLE AS).
    /// - Returns: rows written, and rows filtered out (non-strict).
    private func write(
        _ insert: InsertStatement, rows cursor: RowCursor?, into table: TableMeta, transaction: Transaction
    ) throws -> (written: Int, filtered: Int) {
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
        if cursor == nil, case .select(let select) = insert.source,
            let files = try FilesInsert.plan(
                select, table: table, targets: targets, partial: partial, engine: engine, session: session)
        {
            return try files.run(
                into: table, transaction: transaction, transactions: transactions, engine: engine, session: session,
                mergeCondition: mergeCondition.map { schema.columns[$0].name }, errorLogURL: errorLogURL)
        }
        let batches = try sourceBatches(insert, rows: cursor, targets: targets, schema: schema)
        defer { batches.close() }
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var options = WriteOptions(
            memoryLimit: LoadOptions().memoryLimit / cores, partialColumns: partial ? targets.sorted() : nil,
            mergeCondition: mergeCondition)
        options.flushDepth = cores
        let writer = try engine.makeWriter(table: table, options: options)
        do {
            var total = 0
            var filtered = 0
            while var (source, unconverted) = try batches.next() {
                let rows = source.first?.count ?? 0
                guard rows > 0 else { continue }
                var columns = try tableColumns(
                    source, targets: targets, partial: partial, table: table, firstRow: total,
                    unconverted: &unconverted)
                if !unconverted.isEmpty {
                    let kept = (0..<rows).filter { !unconverted.contains($0) }
                    columns = columns.map { $0.gather(kept) }
                    source = []
                }
                if !columns.isEmpty && columns[0].count > 0 {
                    let rejected = try writer.append(columns, ops: nil)
                    if session.insertStrict, let first = rejected.first {
                        throw Self.refused(first, firstRow: total)
                    }
                    filtered += rejected.count
                }
                filtered += unconverted.count
                total += rows
            }
            guard total > filtered else {
                writer.abort()
                return (0, filtered)
            }
            try commit(writer, transaction)
            return (total - filtered, filtered)
        } catch {
            writer.abort()
            throw error
        }
    }

    /// One batch of the statement's rows (target order) as the table's columns: converted, the
    /// columns it does not name filled with defaults. Strict: a value that does not convert
    /// fails the statement (rows numbered from `firstRow`); else its row joins `unconverted`.
    private func tableColumns(
        _ source: [ColumnVector], targets: [Int], partial: Bool, table: TableMeta, firstRow: Int,
        unconverted: inout Set<Int>
    ) throws -> [ColumnVector] {
        let rows = source.first?.count ?? 0
        var columns = [ColumnVector]()
        for (index, column) in table.schema.columns.enumerated() {
            if let position = targets.firstIndex(of: index) {
                var failures: [Int]? = []
                let converted = CastKernel.cast(source[position], to: column.type, failures: &failures)
                if session.insertStrict, let row = failures?.first {
                    let value = source[position].value(at: row).text(as: source[position].type) ?? "NULL"
                    throw SQLError(
                        .dataQuality,
                        "Insert has filtered data in strict mode: value '\(value)' of row \(firstRow + row + 1) cannot be converted to \(column.type.sqlName) for column '\(column.name)'"
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
        return columns
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

    /// The statement's rows, batch by batch, as columns in target order with the rows
    /// (non-strict) whose values did not convert (their cells hold NULL): VALUES as one batch,
    /// a SELECT as its cursor yields them.
    private func sourceBatches(_ insert: InsertStatement, rows cursor: RowCursor?, targets: [Int], schema: TableSchema)
        throws -> SourceBatches
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
            var batch: ([ColumnVector], Set<Int>)? = (columns, unconverted)
            return SourceBatches(
                next: {
                    defer { batch = nil }; return batch
                }, close: {})
        case .select(let select):
            let cursor = try cursor ?? QueryExecution(engine: engine, session: session).open(select)
            guard cursor.columns.count == targets.count else {
                cursor.close()
                throw SQLError(
                    .analysis,
                    "Column count doesn't match value count: the table takes \(targets.count), the query returns \(cursor.columns.count)"
                )
            }
            return SourceBatches(next: { try cursor.next().map { ($0, []) } }, close: { cursor.close() })
        }
    }

    /// Batches of an INSERT's rows (see ``sourceBatches(_:rows:targets:schema:)``).
    private struct SourceBatches {
        var next: () throws -> ([ColumnVector], Set<Int>)?
        var close: () -> Void
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
