import SluiceExpr
import SluiceFormat

extension ShowFilter {
    /// The rows of `result` the filter keeps: `LIKE` matches the first column, `WHERE` is a
    /// predicate over the columns by name.
    func apply(to result: ResultSet, context: EvaluationContext) throws -> ResultSet {
        guard let first = result.columns.first else { return result }
        let predicate: Expr =
            switch self {
            case .like(let pattern):
                .like(
                    .column(name: first.name, qualifier: nil),
                    pattern: .literal(.string(pattern), .varchar(length: max(1, pattern.utf8.count))), negated: false)
            case .predicate(let expr): expr
            }
        let binder = ExprBinder(
            resolver: NameResolver(names: result.columns.map(\.name), types: result.columns.map(\.type)))
        let bound = try binder.bind(predicate)
        var batches = [[ColumnVector]]()
        for batch in result.batches {
            let rows = batch.first?.count ?? 0
            let selected = try Evaluator.select(bound, batch: batch, rows: rows, context: context)
            if selected.isEmpty { continue }
            batches.append(selected.count == rows ? batch : batch.map { $0.gather(selected) })
        }
        return ResultSet(columns: result.columns, batches: batches)
    }
}

extension ResultSet {
    /// The rows `filter` keeps (all of them for nil).
    func filtered(_ filter: ShowFilter?, _ session: Session) throws -> ResultSet {
        guard let filter else { return self }
        return try filter.apply(to: self, context: session.evaluationContext)
    }
}
