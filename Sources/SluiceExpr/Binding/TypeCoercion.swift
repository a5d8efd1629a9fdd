package import SluiceFormat

/// StarRocks-like implicit type rules.
package enum TypeCoercion {
    /// The type both operands of an arithmetic operator are converted to.
    package static func arithmeticType(_ a: ColumnType, _ b: ColumnType) -> ColumnType {
        let a = numericView(a), b = numericView(b)
        if a.physical == .float64 || b.physical == .float64 { return .double }
        if case .decimal(_, let s1) = a {
            if case .decimal(_, let s2) = b { return .decimal(precision: 38, scale: max(s1, s2)) }
            return .decimal(precision: 38, scale: s1)
        }
        if case .decimal(_, let s2) = b { return .decimal(precision: 38, scale: s2) }
        if a == .largeint || b == .largeint { return .largeint }
        return .bigint
    }

    /// Strings and temporal values in arithmetic are treated as DOUBLE / BIGINT.
    static func numericView(_ t: ColumnType) -> ColumnType {
        switch t {
        case .char, .varchar, .string, .json: .double
        case .date, .datetime: .bigint
        default: t
        }
    }

    /// The type both sides of a comparison (or IN / CASE branch set) are converted to.
    package static func commonType(_ a: ColumnType, _ b: ColumnType) -> ColumnType {
        if a == b { return a }
        if a.isString && b.isString { return .string }
        if a == .json || b == .json { return .string }
        let temporal: Set<ColumnType> = [.date, .datetime]
        if temporal.contains(a) && temporal.contains(b) { return .datetime }
        if temporal.contains(a) && b.isString { return a }
        if temporal.contains(b) && a.isString { return b }
        if temporal.contains(a) && b.isNumeric { return .bigint }
        if temporal.contains(b) && a.isNumeric { return .bigint }
        if a.isNumeric && b.isNumeric {
            if a.isInteger && b.isInteger { return a == .largeint || b == .largeint ? .largeint : .bigint }
            return arithmeticType(a, b)
        }
        if a.isString && b.isNumeric { return numericFromString(b) }
        if b.isString && a.isNumeric { return numericFromString(a) }
        return .string
    }

    private static func numericFromString(_ numeric: ColumnType) -> ColumnType {
        switch numeric {
        case .decimal: .decimal(precision: 38, scale: max(numeric.decimalScale, 9))
        default: .double
        }
    }

    /// The result type of a CASE / IF / COALESCE over branch types (NULL literals excluded).
    package static func unionType(_ types: [ColumnType]) -> ColumnType {
        guard var result = types.first else { return .boolean }
        for t in types.dropFirst() {
            if t == result { continue }
            if t.isString || result.isString {
                result = .string
            } else if let merged = Optional(commonType(result, t)) {
                result = merged
            }
        }
        if case .varchar = result, types.contains(where: { $0 != result }) { return .string }
        return result
    }
}
