import SluiceExpr
import SluiceFormat
import SluiceStorage
import SluiceTxn

/// `DELETE` and `UPDATE` on merge-on-write tables (spec table-models §2.6): each one transaction
/// under a generated label, like INSERT. A DELETE is a load of the matching keys as delete
/// operations; an UPDATE reads the matching rows and upserts them with the assignments applied.
struct DMLExecution {
    let insert: InsertExecution

    init(engine: StorageEngine, transactions: TransactionManager, session: Session) {
        insert = InsertExecution(engine: engine, transactions: transactions, session: session)
    }

    func delete(_ statement: DeleteStatement) throws -> DMLOutcome {
        let (database, table) = try insert.resolve(statement.table)
        switch table.keysType {
        case .primary:
            if statement.partitions != nil {
                throw SQLError(.analysis, "Delete for primary key table do not support specifying partitions")
            }
            guard statement.filter != nil else {
                throw SQLError(.analysis, "Delete must specify where clause to prevent full table delete")
            }
        case .unique:
            guard let filter = statement.filter else { throw SQLError(.analysis, "Where clause is not set") }
            // Like StarRocks' UNIQUE KEY tables: only key columns in the predicate.
            let keys = Set(table.keyColumns.map { $0.lowercased() })
            for name in filter.columnNames where !keys.contains(name.lowercased()) {
                throw SQLError(
                    .analysis,
                    "Column[\(name)] is not key column or storage model is not duplicate or column type is float or double."
                )
            }
        case .duplicate, .aggregate:
            throw SQLError(
                .analysis,
                "DELETE on \(table.keysType.sqlName) tables is not supported: table '\(table.name)' only takes new rows; use a PRIMARY KEY table to delete rows"
            )
        }
        let keys = table.keyColumnIndices
        var select = SelectStatement()
        select.items = keys.map { .init(expr: .column(name: table.schema.columns[$0].name, qualifier: nil)) }
        select.source = .table(statement.table, alias: nil)
        select.filter = statement.filter
        let matched = try rows(of: select, types: keys.map { table.schema.columns[$0].type }, table: table)
        let count = matched.first?.count ?? 0
        guard count > 0 else { return DMLOutcome(rows: 0, label: "") }
        // Delete rows carry only their keys; the other columns are placeholders.
        let columns = table.schema.columns.enumerated().map { c, column in
            keys.firstIndex(of: c).map { matched[$0] }
                ?? ColumnVector(
                    type: column.type, repeating: column.isNullable ? .null : .zero(of: column.type), count: count)
        }
        return try insert.transactional(database: database, label: "delete_\(InsertExecution.randomHex())") {
            try insert.commitRows(
                columns, into: table, ops: [UInt8](repeating: 1, count: count),
                options: WriteOptions(acceptsDeletes: true),
                transaction: $0)
            return count
        }
    }

    func update(_ statement: UpdateStatement) throws -> DMLOutcome {
        let (database, table) = try insert.resolve(statement.table)
        guard table.keysType == .primary else {
            throw SQLError(.analysis, "table \(table.name) does not support update")
        }
        var assigned = [Int: Expr]()
        for (name, value) in statement.assignments {
            guard let c = table.schema.index(of: name) else {
                throw SQLError(.analysis, "table '\(table.name)' do not existing column '\(name)'")
            }
            if table.keyColumnIndices.contains(c) {
                throw SQLError(.analysis, "primary key column cannot be updated: \(table.schema.columns[c].name)")
            }
            assigned[c] = value
        }
        // `partial_update_mode = auto`: column mode (every row may be updated) when there is no
        // WHERE and the statement assigns at most 3 columns and under 30% of them.
        let columnMode =
            statement.filter == nil && assigned.count <= 3
            && Double(assigned.count) < 0.3 * Double(table.schema.columns.count)
        if statement.filter == nil, !columnMode {
            throw SQLError(.analysis, "must specify where clause to prevent full table update")
        }
        var select = SelectStatement()
        select.items = table.schema.columns.enumerated().map { c, column in
            .init(expr: assigned[c] ?? .column(name: column.name, qualifier: nil))
        }
        select.source = .table(statement.table, alias: nil)
        select.filter = statement.filter
        let columns = try rows(of: select, types: table.schema.columns.map(\.type), table: table)
        let count = columns.first?.count ?? 0
        guard count > 0 else { return DMLOutcome(rows: 0, label: "") }
        return try insert.transactional(database: database, label: "update_\(InsertExecution.randomHex())") {
            try insert.commitRows(columns, into: table, transaction: $0)
            return count
        }
    }

    /// Runs `select` and casts its columns to `types` (strict: a value that does not convert
    /// fails the statement).
    private func rows(of select: SelectStatement, types: [ColumnType], table: TableMeta) throws -> [ColumnVector] {
        let (result, _) = try QueryExecution(engine: insert.engine, session: insert.session).run(select)
        var columns = types.map { ColumnVector(type: $0) }
        for batch in result.batches {
            for c in batch.indices {
                var failures: [Int]? = []
                let converted = CastKernel.cast(batch[c], to: types[c], failures: &failures)
                if let row = failures?.first {
                    let value = batch[c].value(at: row).text(as: batch[c].type) ?? "NULL"
                    throw SQLError(
                        .dataQuality,
                        "value '\(value)' cannot be converted to \(types[c].sqlName) for column '\(table.schema.columns[c].name)'"
                    )
                }
                columns[c].append(contentsOf: converted)
            }
        }
        return columns
    }
}

extension Expr {
    /// Names of the columns the expression reads.
    var columnNames: [String] {
        switch self {
        case .column(let name, _): [name]
        case .literal, .star, .variable: []
        case .unary(_, let e), .isNull(let e, _), .cast(let e, _): e.columnNames
        case .binary(_, let a, let b), .like(let a, let b, _): a.columnNames + b.columnNames
        case .inList(let e, let list, _): e.columnNames + list.flatMap(\.columnNames)
        case .between(let e, let l, let u, _): e.columnNames + l.columnNames + u.columnNames
        case .caseWhen(let operand, let branches, let otherwise):
            (operand?.columnNames ?? []) + branches.flatMap { $0.condition.columnNames + $0.result.columnNames }
                + (otherwise?.columnNames ?? [])
        case .call(_, let arguments, _): arguments.flatMap(\.columnNames)
        }
    }
}
