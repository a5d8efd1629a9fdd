package import SluiceFormat

/// A type-checked expression ready to evaluate over column batches.
package indirect enum BoundExpr: Sendable {
    /// Column `index` of the input batch.
    case column(Int, ColumnType)
    case literal(Value, ColumnType)
    /// A scalar function (operators and casts are functions too) over evaluated arguments.
    case call(ScalarFunction, [BoundExpr], ColumnType)

    package var type: ColumnType {
        switch self {
        case .column(_, let t), .literal(_, let t), .call(_, _, let t): t
        }
    }

    /// The literal value, if this is a constant.
    package var constant: Value? {
        if case .literal(let v, _) = self { return v }
        return nil
    }
}

/// One vectorised function: evaluates whole argument columns into a result column.
package struct ScalarFunction: Sendable {
    package typealias Kernel =
        @Sendable (_ arguments: [ColumnVector], _ rows: Int, _ context: EvaluationContext) throws -> ColumnVector

    package var name: String
    package var kernel: Kernel

    package init(name: String, kernel: @escaping Kernel) {
        self.name = name
        self.kernel = kernel
    }
}

/// Per-evaluation settings: the session time zone and the statement's `now()`.
package struct EvaluationContext: Sendable {
    package var timeZone: SessionTimeZone
    /// Microseconds since the epoch (UTC) at statement start.
    package var nowMicros: Int64

    package init(timeZone: SessionTimeZone = .utc, nowMicros: Int64) {
        self.timeZone = timeZone
        self.nowMicros = nowMicros
    }
}
