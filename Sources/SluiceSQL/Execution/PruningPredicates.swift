import SluiceExpr
import SluiceFormat
import SluiceStorage

/// Turns WHERE conjuncts like `col >= literal`, `col BETWEEN a AND b`, `col = x` into
/// ``ScanPredicate``s so scans skip partitions and pages whose zone maps exclude them.
enum PruningPredicates {
    static func extract(_ filter: Expr?, table: TableMeta) -> [ScanPredicate] {
        extract(filter, columns: table.schema.columns.map { ($0.name, $0.type) })
    }

    /// The predicates on `columns` (by index into it; names matched case-insensitively).
    static func extract(_ filter: Expr?, columns: [(name: String, type: ColumnType)]) -> [ScanPredicate] {
        guard let filter else { return [] }
        let table = columns
        var conjuncts = [Expr]()
        func split(_ e: Expr) {
            if case .binary(.and, let a, let b) = e {
                split(a)
                split(b)
            } else {
                conjuncts.append(e)
            }
        }
        split(filter)
        var result = [ScanPredicate]()
        for c in conjuncts {
            switch c {
            case .binary(let op, .column(let name, _), let literal):
                if let p = predicate(op, name, literal, table) { result.append(p) }
            case .binary(let op, let literal, .column(let name, _)):
                if let flipped = flip(op), let p = predicate(flipped, name, literal, table) { result.append(p) }
            case .between(.column(let name, _), let lower, let upper, false):
                if let a = predicate(.greaterEqual, name, lower, table) { result.append(a) }
                if let b = predicate(.lessEqual, name, upper, table) { result.append(b) }
            default:
                break
            }
        }
        return result
    }

    static func flip(_ op: BinaryOperator) -> BinaryOperator? {
        switch op {
        case .less: .greater
        case .lessEqual: .greaterEqual
        case .greater: .less
        case .greaterEqual: .lessEqual
        case .equal: .equal
        default: nil
        }
    }

    static func predicate(
        _ op: BinaryOperator, _ name: String, _ literal: Expr, _ columns: [(name: String, type: ColumnType)]
    ) -> ScanPredicate? {
        guard let index = columns.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) else { return nil }
        let type = columns[index].type
        guard let value = constant(literal, as: type) else { return nil }
        switch op {
        case .equal: return ScanPredicate(column: index, lower: value, upper: value)
        case .less: return ScanPredicate(column: index, upper: value, upperInclusive: false)
        case .lessEqual: return ScanPredicate(column: index, upper: value)
        case .greater: return ScanPredicate(column: index, lower: value, lowerInclusive: false)
        case .greaterEqual: return ScanPredicate(column: index, lower: value)
        default: return nil
        }
    }

    /// The literal converted exactly to the column's type (nil if it is not a literal or changes value).
    static func constant(_ e: Expr, as type: ColumnType) -> Value? {
        var literal = e
        if case .cast(let inner, _) = e { literal = inner }
        guard case .literal(let value, let literalType?) = literal, !value.isNull else { return nil }
        // Only compare like with like: numbers with numeric columns, text with text/temporal columns.
        if type.isNumeric != literalType.isNumeric { return nil }
        if case .decimal = literalType, type.isInteger { return nil }
        if literalType.physical == .float64, type.physical != .float64 { return nil }
        var one = ColumnVector(type: literalType)
        one.append(value)
        let converted = CastKernel.cast(one, to: type).value(at: 0)
        return converted.isNull ? nil : converted
    }
}
