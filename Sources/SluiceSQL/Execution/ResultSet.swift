package import SluiceFormat

/// A named, typed output column.
package struct ResultColumn: Sendable, Hashable {
    package var name: String
    package var type: ColumnType
    package init(name: String, type: ColumnType) {
        self.name = name
        self.type = type
    }
}

/// Rows of a query or SHOW, as column batches.
package struct ResultSet: Sendable {
    package var columns: [ResultColumn]
    package var batches: [[ColumnVector]]

    package init(columns: [ResultColumn], batches: [[ColumnVector]]) {
        self.columns = columns
        self.batches = batches
    }

    package var rowCount: Int { batches.reduce(0) { $0 + ($1.first?.count ?? 0) } }

    /// A result of text columns (SHOW output), `nil` cells as NULL.
    static func strings(_ names: [String], _ rows: [[String?]]) -> ResultSet {
        table(names.map { ($0, .string) }, rows.map { $0.map { $0.map(Value.string) ?? .null } })
    }

    /// A result of typed columns from rows of values.
    static func table(_ columns: [(String, ColumnType)], _ rows: [[Value]]) -> ResultSet {
        var vectors = columns.map { ColumnVector(type: $0.1) }
        for row in rows {
            for (i, value) in row.enumerated() { vectors[i].append(value) }
        }
        return ResultSet(
            columns: columns.map { ResultColumn(name: $0.0, type: $0.1) }, batches: rows.isEmpty ? [] : [vectors])
    }

    /// Every row as SQL text (`nil` = NULL); for tests and the CLI.
    package var textRows: [[String?]] {
        var rows = [[String?]]()
        for batch in batches {
            let n = batch.first?.count ?? 0
            for r in 0..<n { rows.append(batch.map { $0.value(at: r).text(as: $0.type) }) }
        }
        return rows
    }
}

/// `statistics` of the HTTP SQL API.
package struct QueryStatistics: Sendable, Hashable {
    package var scanRows = 0
    package var scanBytes = 0
    package var returnRows = 0
    package var affectedRows: Int?
    /// INSERT/DELETE/UPDATE: the label and transaction that made the rows visible.
    package var dml: DMLOutcome?
    package init() {}
}

/// What a statement produced.
package enum StatementResult: Sendable {
    case rows(ResultSet, QueryStatistics)
    /// DDL, INSERT: no result set.
    case ok(QueryStatistics)
}
