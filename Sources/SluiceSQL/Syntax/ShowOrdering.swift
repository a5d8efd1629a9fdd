import SluiceExpr

/// `[ORDER BY column [ASC|DESC]] [LIMIT n [OFFSET m] | LIMIT m, n]` of the job SHOWs (SHOW ROUTINE
/// LOAD, SHOW LOAD, SHOW PIPES): parsed once here, applied to their text rows.
package struct ShowOrdering: Sendable {
    package var orderBy: String?
    package var descending = false
    package var limit: Int?
    package var offset = 0

    package init() {}

    /// Parses the clauses at the stream's position (either may be absent).
    static func parse(_ s: inout TokenStream) throws(ExprError) -> ShowOrdering {
        var ordering = ShowOrdering()
        if s.accept("ORDER") {
            try s.expect("BY")
            ordering.orderBy = try s.identifier("column")
            if s.accept("DESC") { ordering.descending = true } else { _ = s.accept("ASC") }
        }
        if let (limit, offset) = try SelectParser.limitClause(&s, count: "row count", offset: "offset") {
            ordering.limit = limit
            ordering.offset = offset
        }
        return ordering
    }

    /// `rows` sorted by the ORDER BY column (numerically for `numericColumn`, else as text) and cut
    /// to the LIMIT window.
    /// - Parameter unknown: the error for a column `columns` does not have.
    func apply(
        to rows: [[String?]], columns: [String], numericColumn: Int, unknown: (String) -> SQLError
    ) throws -> [[String?]] {
        var rows = rows
        if let column = orderBy {
            guard let index = columns.firstIndex(where: { $0.lowercased() == column.lowercased() }) else {
                throw unknown(column)
            }
            rows.sort { a, b in
                let (x, y) = (a[index] ?? "", b[index] ?? "")
                let less = index == numericColumn ? (Int64(x) ?? 0) < (Int64(y) ?? 0) : x < y
                return descending ? !less && x != y : less
            }
        }
        return Array(rows.dropFirst(offset).prefix(limit ?? .max))
    }
}
