package import SluiceExpr
import SluiceFormat

/// Where a load into a PRIMARY KEY table takes each row's operation (`__op`: 0 = upsert,
/// 1 = delete) from. Other tables ignore `__op` (StarRocks inserts such rows as data).
package enum LoadOperation: Sendable {
    /// `__op='delete'`, `__op=1`: every row.
    case constant(UInt8)
    /// A source field (`columns: id,__op,…`, or a JSON object's `__op` key). `absentIsUpsert`: the
    /// JSON reader's automatic lookup, where a missing key means upsert.
    case field(Int, absentIsUpsert: Bool)
    /// `__op = if(op = 'd', 1, 0)`: per row.
    case expression(BoundExpr)

    /// The pseudo-column's name.
    package static let column = "__op"

    /// Binds a derived `__op = expr`. Constants are checked now (StarRocks' analyzer messages).
    static func derived(_ expr: Expr, binder: ExprBinder) throws -> LoadOperation {
        switch expr {
        case .literal(.bytes(let bytes), _):
            let text = String(decoding: bytes, as: UTF8.self).lowercased()
            switch text {
            case "upsert": return .constant(0)
            case "delete": return .constant(1)
            default: throw LoadError(.analysis, "load op type string not supported: \(text)")
            }
        case .literal(.int(let value), let type) where type?.isInteger ?? false:
            guard value == 0 || value == 1 else {
                throw LoadError(.analysis, "const load op type column should only be upsert(0)/delete(1)")
            }
            return .constant(UInt8(value))
        case .literal:
            throw LoadError(.analysis, "const load op type column should only be upsert(0)/delete(1)")
        default:
            do {
                return .expression(try binder.bind(expr))
            } catch {
                throw LoadError(.analysis, "Invalid expression for column '__op': \(error)")
            }
        }
    }

    /// Each row's operation, or the reason the row is filtered.
    /// - Parameter values: the evaluated field or expression (nil for constants).
    func operations(_ values: ColumnVector?, rows: Int) -> [Result<UInt8, OperationError>] {
        guard let values else {
            if case .constant(let op) = self { return Array(repeating: .success(op), count: rows) }
            return Array(repeating: .success(0), count: rows)
        }
        var absentIsUpsert = false
        if case .field(_, let flag) = self { absentIsUpsert = flag }
        return (0..<rows).map { row in
            if values.isNull(row) {
                return absentIsUpsert ? .success(0) : .failure(.null)
            }
            switch values.type.physical {
            case .int64:
                let v = values.ints[row]
                return v == 0 || v == 1 ? .success(UInt8(v)) : .failure(.invalid(String(v)))
            case .bytes:
                let text = String(decoding: values.byteSlice(row), as: UTF8.self)
                switch text.trimmingCharacters(in: " ").lowercased() {
                case "0", "upsert": return .success(0)
                case "1", "delete": return .success(1)
                default: return .failure(.invalid(text))
                }
            case .int128:
                let v = values.wides[row]
                return v == 0 || v == 1 ? .success(UInt8(v)) : .failure(.invalid(String(v)))
            case .float64:
                let v = values.doubles[row]
                return v == 0 || v == 1 ? .success(UInt8(v)) : .failure(.invalid(String(v)))
            }
        }
    }
}

/// Why a row's `__op` is unusable (the row is filtered).
package enum OperationError: Error, Sendable {
    case null
    case invalid(String)

    /// The error-log reason.
    package var reason: String {
        switch self {
        case .null: "NULL value in non-nullable column '__op'"
        case .invalid(let text): "invalid __op value \(text), must be 0 (upsert) or 1 (delete)"
        }
    }
}
