import Foundation
package import SluiceFormat

/// A resolved function: the kernel, the types its arguments must be cast to, and its result type.
package struct FunctionBinding: Sendable {
    package var function: ScalarFunction
    package var argumentTypes: [ColumnType]
    package var resultType: ColumnType
}

/// The scalar function library shared by loads (`columns` expressions) and SQL.
package enum FunctionLibrary {
    /// Names of every scalar function (for error messages and docs).
    package static let names: [String] = [
        "abs", "ceil", "ceiling", "coalesce", "concat", "concat_ws", "curdate", "current_date", "current_timestamp",
        "date", "date_format", "date_trunc", "day", "dayofmonth", "floor", "from_unixtime", "hour", "if", "ifnull",
        "length", "char_length", "lower", "lcase", "ltrim", "minute", "month", "now", "nullif", "replace", "round",
        "rtrim", "second", "split_part", "str_to_date", "substr", "substring", "to_date", "trim", "unix_timestamp",
        "upper", "ucase", "year", "greatest", "least", "mod", "pow", "power", "sqrt", "left", "right", "repeat",
    ]

    /// Resolves `name` for the argument types.
    /// - Throws: `.unknownFunction` or `.typeMismatch` naming the function.
    /// - Parameter constants: literal argument values where known (they can decide the result type,
    ///   e.g. the scale of `round(x, 2)`).
    package static func resolve(
        _ name: String, _ types: [ColumnType], constants: [Value?] = [], position: Int? = nil
    ) throws(ExprError) -> FunctionBinding {
        let lower = name.lowercased()
        func arity(_ range: ClosedRange<Int>) throws(ExprError) {
            guard range.contains(types.count) else {
                throw ExprError(
                    .typeMismatch,
                    "No matching function with signature: \(lower)(\(types.map(\.sqlName).joined(separator: ", ")))",
                    position: position)
            }
        }
        func bind(
            _ args: [ColumnType], _ result: ColumnType,
            _ body: @escaping @Sendable ([Value], EvaluationContext) -> Value
        ) -> FunctionBinding {
            FunctionBinding(function: rowwise(lower, result, body), argumentTypes: args, resultType: result)
        }
        let stringType = ColumnType.string
        switch lower {
        // MARK: String
        case "concat":
            try arity(1...64)
            return bind(types.map { _ in stringType }, .string) { v, _ in
                if v.contains(where: \.isNull) { return .null }
                return .bytes(v.flatMap { $0.bytesValue })
            }
        case "concat_ws":
            try arity(2...64)
            return bind(types.map { _ in stringType }, .string) { v, _ in
                guard case .bytes(let sep) = v[0] else { return .null }
                let parts = v.dropFirst().filter { !$0.isNull }.map(\.bytesValue)
                return .bytes(Array(parts.joined(separator: sep)))
            }
        case "upper", "ucase", "lower", "lcase":
            try arity(1...1)
            let toUpper = lower == "upper" || lower == "ucase"
            return bind([stringType], .string) { v, _ in
                guard case .bytes(let b) = v[0] else { return .null }
                return .bytes(
                    b.map { c in
                        if toUpper, c >= 97, c <= 122 { return c - 32 }
                        if !toUpper, c >= 65, c <= 90 { return c + 32 }
                        return c
                    })
            }
        case "trim", "ltrim", "rtrim":
            try arity(1...1)
            return bind([stringType], .string) { v, _ in
                guard case .bytes(let b) = v[0] else { return .null }
                var s = b[...]
                if lower != "rtrim" { while s.first == 32 { s = s.dropFirst() } }
                if lower != "ltrim" { while s.last == 32 { s = s.dropLast() } }
                return .bytes(Array(s))
            }
        case "length", "char_length":
            try arity(1...1)
            return bind([stringType], .bigint) { v, _ in
                guard case .bytes(let b) = v[0] else { return .null }
                return .int(Int64(lower == "length" ? b.count : String(decoding: b, as: UTF8.self).count))
            }
        case "repeat":
            try arity(2...2)
            return bind([stringType, .bigint], .string) { v, _ in
                guard case .bytes(let b) = v[0], case .int(let n) = v[1] else { return .null }
                // StarRocks caps results at 1 GiB; past that the value is NULL.
                guard n > 0, b.count > 0 else { return .bytes([]) }
                guard Int64(b.count).multipliedReportingOverflow(by: n).partialValue <= 1 << 30, n <= 1 << 30 else {
                    return .null
                }
                var out = [UInt8]()
                out.reserveCapacity(b.count * Int(n))
                for _ in 0..<n { out.append(contentsOf: b) }
                return .bytes(out)
            }
        case "substr", "substring", "left", "right":
            try arity(lower == "left" || lower == "right" ? 2...2 : 2...3)
            return bind([stringType] + types.dropFirst().map { _ in .bigint }, .string) { v, _ in
                guard case .bytes(let b) = v[0], case .int(let a) = v[1] else { return .null }
                let chars = Array(String(decoding: b, as: UTF8.self))
                let count = chars.count
                // Positions and lengths are clamped to the string before any arithmetic, so
                // Int64.min / Int64.max arguments cannot overflow.
                let position = Int(clamping: max(-Int64(count) - 1, min(a, Int64(count) + 1)))
                var start: Int
                var length: Int
                switch lower {
                case "left": start = 0; length = position
                case "right": start = max(0, count - position); length = position
                default:
                    if a == 0 { return .string("") }
                    start = position > 0 ? position - 1 : count + position
                    length = count
                    if v.count > 2 {
                        guard case .int(let l) = v[2] else { return .null }
                        length = Int(clamping: max(-1, min(l, Int64(count))))
                    }
                }
                guard start >= 0, start < count, length > 0 else { return .string("") }
                return .string(String(chars[start..<(start + min(length, count - start))]))
            }
        case "replace":
            try arity(3...3)
            return bind([stringType, stringType, stringType], .string) { v, _ in
                guard let s = v[0].stringValue, let from = v[1].stringValue, let to = v[2].stringValue else {
                    return .null
                }
                guard !from.isEmpty else { return v[0] }
                return .string(s.replacingAll(from, with: to))
            }
        case "split_part":
            try arity(3...3)
            return bind([stringType, stringType, .bigint], .string) { v, _ in
                guard let s = v[0].stringValue, let sep = v[1].stringValue, case .int(let index) = v[2], !sep.isEmpty,
                    index != 0
                else { return .null }
                let parts = s.splitAll(sep)
                let clamped = Int(clamping: max(-Int64(parts.count) - 1, min(index, Int64(parts.count) + 1)))
                let i = clamped > 0 ? clamped - 1 : parts.count + clamped
                guard i >= 0, i < parts.count else { return .null }
                return .string(parts[i])
            }
        // MARK: Math
        case "abs":
            try arity(1...1)
            let t = types[0].isNumeric ? TypeCoercion.arithmeticType(types[0], types[0]) : .double
            return bind([t], t) { v, _ in
                switch v[0] {
                case .int(let i): return .int(i.magnitude > UInt64(Int64.max) ? i : abs(i))
                case .wide(let w): return .wide(w < 0 ? -w : w)
                case .double(let d): return .double(abs(d))
                default: return .null
                }
            }
        case "round", "floor", "ceil", "ceiling":
            try arity(lower == "round" ? 1...2 : 1...1)
            let digits = types.count > 1
            if case .decimal(_, let s) = types[0] {
                var resultScale = 0
                if lower == "round", digits {
                    resultScale = s
                    if constants.count > 1, case .int(let d)? = constants[1] {
                        resultScale = Int(max(0, min(Int64(s), d)))
                    }
                }
                let rs = resultScale
                let t = ColumnType.decimal(precision: 38, scale: rs)
                return bind([.decimal(precision: 38, scale: s)] + (digits ? [.bigint] : []), t) { v, _ in
                    guard case .wide(let w) = v[0] else { return .null }
                    var places = 0
                    if digits {
                        guard case .int(let d) = v[1] else { return .null }
                        places = Int(max(0, min(Int64(s), d)))
                    }
                    let divisor = DecimalArithmetic.powersOfTen[s - places]
                    var q = w / divisor
                    let r = w % divisor
                    switch lower {
                    case "round": if r.magnitude * 2 >= divisor.magnitude { q += w < 0 ? -1 : 1 }
                    case "floor": if r < 0 { q -= 1 }
                    default: if r > 0 { q += 1 }
                    }
                    return .wide(DecimalArithmetic.rescale(q, from: places, to: rs) ?? q)
                }
            }
            if types[0].isInteger { return bind([.bigint] + (digits ? [.bigint] : []), .bigint) { v, _ in v[0] } }
            let resultType: ColumnType = digits || lower == "round" ? .double : .bigint
            return bind([.double] + (digits ? [.bigint] : []), resultType) { v, _ in
                guard case .double(let d) = v[0] else { return .null }
                switch lower {
                case "round":
                    var places: Int64 = 0
                    if digits { guard case .int(let p) = v[1] else { return .null }; places = p }
                    // Beyond ±308 places every double rounds to itself or to 0.
                    let f = pow10(Int(clamping: max(-308, min(places, 308))))
                    let rounded = (d * f).rounded(.toNearestOrAwayFromZero) / f
                    return .double(rounded.isFinite ? rounded : d)
                // Outside BIGINT's range (or NaN/∞) the result is NULL, as a failed cast is.
                case "floor": return Int64(exactly: d.rounded(.down)).map { .int($0) } ?? .null
                default: return Int64(exactly: d.rounded(.up)).map { .int($0) } ?? .null
                }
            }
        case "mod":
            try arity(2...2)
            return bind([.double, .double], .double) { v, _ in
                guard case .double(let a) = v[0], case .double(let b) = v[1], b != 0 else { return .null }
                return .double(a.truncatingRemainder(dividingBy: b))
            }
        case "pow", "power", "sqrt":
            try arity(lower == "sqrt" ? 1...1 : 2...2)
            return bind(types.map { _ in .double }, .double) { v, _ in
                guard case .double(let a) = v[0] else { return .null }
                if lower == "sqrt" { return a < 0 ? .null : .double(a.squareRoot()) }
                guard case .double(let b) = v[1] else { return .null }
                return .double(Foundation.pow(a, b))
            }
        case "greatest", "least":
            try arity(1...64)
            let t = types.dropFirst().reduce(types[0]) { TypeCoercion.commonType($0, $1) }
            return bind(types.map { _ in t }, t) { v, _ in
                if v.contains(where: \.isNull) { return .null }
                return v.dropFirst().reduce(v[0]) { best, x in
                    let c = compareValues(x, best)
                    return (lower == "greatest" ? c > 0 : c < 0) ? x : best
                }
            }
        // MARK: Conditional
        case "if":
            try arity(3...3)
            let t = TypeCoercion.unionType(types.dropFirst().filter { $0 != .boolean || true })
            return bind([.boolean, t, t], t) { v, _ in
                if case .int(let c) = v[0], c != 0 { return v[1] }
                return v[2]
            }
        case "ifnull", "coalesce", "nvl":
            try arity(lower == "coalesce" ? 1...64 : 2...2)
            let t = TypeCoercion.unionType(types)
            return bind(types.map { _ in t }, t) { v, _ in v.first { !$0.isNull } ?? .null }
        case "nullif":
            try arity(2...2)
            let t = TypeCoercion.commonType(types[0], types[1])
            return bind([t, t], t) { v, _ in
                if !v[0].isNull, !v[1].isNull, compareValues(v[0], v[1]) == 0 { return .null }
                return v[0]
            }
        default:
            return try TemporalFunctions.resolve(lower, types, position: position)
        }
    }

    /// A kernel evaluating `body` row by row over `Value`s (NULLs passed through to `body`).
    static func rowwise(
        _ name: String, _ type: ColumnType, _ body: @escaping @Sendable ([Value], EvaluationContext) -> Value
    ) -> ScalarFunction {
        ScalarFunction(name: name) { args, n, context in
            var out = ColumnVector(type: type, capacity: n)
            var row = [Value](repeating: .null, count: args.count)
            for i in 0..<n {
                for (k, a) in args.enumerated() { row[k] = a.value(at: a.count == 1 ? 0 : i) }
                out.append(body(row, context))
            }
            return out
        }
    }

    static func pow10(_ n: Int) -> Double {
        var r = 1.0
        for _ in 0..<abs(n) { r *= 10 }
        return n < 0 ? 1 / r : r
    }

}

extension Value {
    var bytesValue: [UInt8] {
        if case .bytes(let b) = self { return b }
        return []
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        splitAll(target).joined(separator: replacement)
    }

    func splitAll(_ separator: String) -> [String] {
        let s = Array(utf8), sep = Array(separator.utf8)
        var parts = [String]()
        var start = 0
        var i = 0
        while i + sep.count <= s.count {
            if Array(s[i..<(i + sep.count)]) == sep {
                parts.append(String(decoding: s[start..<i], as: UTF8.self))
                i += sep.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(decoding: s[start...], as: UTF8.self))
        return parts
    }
}
