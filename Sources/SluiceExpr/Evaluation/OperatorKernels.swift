import SluiceFormat

/// Vectorised kernels for operators. Inputs arrive already coerced to the kernel's lane.
enum OperatorKernels {
    /// Null mask of a row-wise operation: NULL where any input is NULL.
    static func unionNulls(_ columns: [ColumnVector], _ n: Int) -> [UInt8] {
        var result = [UInt8]()
        for c in columns where c.hasNulls {
            if result.isEmpty {
                result = c.nulls
            } else {
                for i in 0..<n { result[i] |= c.nulls[i] }
            }
        }
        return result
    }

    /// Broadcasts a 1-row constant column to `n` rows when needed.
    static func expand(_ c: ColumnVector, _ n: Int) -> ColumnVector {
        if c.count == n { return c }
        return ColumnVector(type: c.type, repeating: c.value(at: 0), count: n)
    }

    static func arithmetic(_ op: BinaryOperator, type: ColumnType, resultType: ColumnType) -> ScalarFunction {
        ScalarFunction(name: op.rawValue) { args, n, _ in
            let a = expand(args[0], n), b = expand(args[1], n)
            var nulls = unionNulls([a, b], n)
            func markNull(_ i: Int) {
                if nulls.isEmpty { nulls = [UInt8](repeating: 0, count: n) }
                nulls[i] = 1
            }
            switch type.physical {
            case .int64:
                var out = [Int64](repeating: 0, count: n)
                let x = a.ints, y = b.ints
                switch op {
                case .add: for i in 0..<n { out[i] = x[i] &+ y[i] }
                case .subtract: for i in 0..<n { out[i] = x[i] &- y[i] }
                case .multiply: for i in 0..<n { out[i] = x[i] &* y[i] }
                case .modulo, .integerDivide:
                    for i in 0..<n {
                        if y[i] == 0 || (x[i] == .min && y[i] == -1) { markNull(i); continue }
                        out[i] = op == .modulo ? x[i] % y[i] : x[i] / y[i]
                    }
                default: preconditionFailure("not an int64 arithmetic operator")
                }
                return ColumnVector(type: resultType, ints: out, nulls: nulls)
            case .int128:
                var out = [Int128](repeating: 0, count: n)
                let x = a.wides, y = b.wides
                let s1 = a.type.decimalScale, s2 = b.type.decimalScale, rs = resultType.decimalScale
                for i in 0..<n {
                    if !nulls.isEmpty, nulls[i] != 0 { continue }
                    var result: Int128?
                    switch op {
                    case .add:
                        let (v, o) = x[i].addingReportingOverflow(y[i])
                        result = o ? nil : v
                    case .subtract:
                        let (v, o) = x[i].subtractingReportingOverflow(y[i])
                        result = o ? nil : v
                    case .multiply:
                        let (v, o) = x[i].multipliedReportingOverflow(by: y[i])
                        result = o ? nil : DecimalArithmetic.rescale(v, from: s1 + s2, to: rs)
                    case .divide:
                        if y[i] != 0, !(y[i] == -1 && x[i] == .min),
                            let scaled = DecimalArithmetic.rescale(x[i], from: s1, to: rs + s2 + 1)
                        {
                            let q = scaled / y[i]
                            // Round half away from zero on the extra digit (q / 10 never overflows).
                            let (tenth, digit) = q.quotientAndRemainder(dividingBy: 10)
                            result = digit >= 5 ? tenth + 1 : digit <= -5 ? tenth - 1 : tenth
                        }
                    case .modulo:
                        result = y[i] == 0 ? nil : y[i] == -1 ? 0 : x[i] % y[i]
                    case .integerDivide:
                        result =
                            y[i] == 0
                            ? nil
                            : DecimalArithmetic.rescale(x[i], from: s1, to: s2).flatMap {
                                y[i] == -1 && $0 == .min ? nil : $0 / y[i]
                            }
                    default: preconditionFailure("not a decimal arithmetic operator")
                    }
                    if let result { out[i] = result } else { markNull(i) }
                }
                if resultType.physical == .int64 {
                    return ColumnVector(type: resultType, ints: out.map { Int64(truncatingIfNeeded: $0) }, nulls: nulls)
                }
                return ColumnVector(type: resultType, wides: out, nulls: nulls)
            case .float64:
                var out = [Double](repeating: 0, count: n)
                let x = a.doubles, y = b.doubles
                switch op {
                case .add: for i in 0..<n { out[i] = x[i] + y[i] }
                case .subtract: for i in 0..<n { out[i] = x[i] - y[i] }
                case .multiply: for i in 0..<n { out[i] = x[i] * y[i] }
                case .divide, .modulo:
                    for i in 0..<n {
                        if y[i] == 0 { markNull(i); continue }
                        out[i] = op == .divide ? x[i] / y[i] : x[i].truncatingRemainder(dividingBy: y[i])
                    }
                case .integerDivide:
                    for i in 0..<n {
                        if y[i] == 0 { markNull(i); continue }
                        out[i] = (x[i] / y[i]).rounded(.towardZero)
                    }
                default: preconditionFailure("not a double arithmetic operator")
                }
                if resultType.physical == .int64 {
                    return ColumnVector(type: resultType, ints: out.map { Int64(exactly: $0) ?? 0 }, nulls: nulls)
                }
                return ColumnVector(type: resultType, doubles: out, nulls: nulls)
            case .bytes:
                preconditionFailure("no arithmetic on strings")
            }
        }
    }

    static func comparison(_ op: BinaryOperator) -> ScalarFunction {
        ScalarFunction(name: op.rawValue) { args, n, _ in
            let a = expand(args[0], n), b = expand(args[1], n)
            var out = [Int64](repeating: 0, count: n)
            @inline(__always) func decide(_ c: Int) -> Bool {
                switch op {
                case .equal, .nullSafeEqual: c == 0
                case .notEqual: c != 0
                case .less: c < 0
                case .lessEqual: c <= 0
                case .greater: c > 0
                case .greaterEqual: c >= 0
                default: false
                }
            }
            switch a.type.physical {
            case .int64:
                let x = a.ints, y = b.ints
                switch op {
                case .equal, .nullSafeEqual: for i in 0..<n { out[i] = x[i] == y[i] ? 1 : 0 }
                case .notEqual: for i in 0..<n { out[i] = x[i] != y[i] ? 1 : 0 }
                case .less: for i in 0..<n { out[i] = x[i] < y[i] ? 1 : 0 }
                case .lessEqual: for i in 0..<n { out[i] = x[i] <= y[i] ? 1 : 0 }
                case .greater: for i in 0..<n { out[i] = x[i] > y[i] ? 1 : 0 }
                case .greaterEqual: for i in 0..<n { out[i] = x[i] >= y[i] ? 1 : 0 }
                default: break
                }
            case .int128:
                for i in 0..<n {
                    out[i] = decide(a.wides[i] < b.wides[i] ? -1 : (a.wides[i] > b.wides[i] ? 1 : 0)) ? 1 : 0
                }
            case .float64:
                for i in 0..<n {
                    out[i] = decide(a.doubles[i] < b.doubles[i] ? -1 : (a.doubles[i] > b.doubles[i] ? 1 : 0)) ? 1 : 0
                }
            case .bytes:
                for i in 0..<n { out[i] = decide(compareBytes(a.byteSlice(i), b.byteSlice(i))) ? 1 : 0 }
            }
            if op == .nullSafeEqual {
                for i in 0..<n where a.isNull(i) || b.isNull(i) { out[i] = a.isNull(i) && b.isNull(i) ? 1 : 0 }
                return ColumnVector(type: .boolean, ints: out)
            }
            return ColumnVector(type: .boolean, ints: out, nulls: unionNulls([a, b], n))
        }
    }

    /// Three-valued AND / OR over booleans.
    static func logical(_ op: BinaryOperator) -> ScalarFunction {
        ScalarFunction(name: op.rawValue) { args, n, _ in
            let a = expand(args[0], n), b = expand(args[1], n)
            var out = [Int64](repeating: 0, count: n)
            var nulls = [UInt8]()
            let anyNull = a.hasNulls || b.hasNulls
            if anyNull { nulls = [UInt8](repeating: 0, count: n) }
            for i in 0..<n {
                let an = a.isNull(i), bn = b.isNull(i)
                let av = a.ints[i] != 0, bv = b.ints[i] != 0
                if op == .and {
                    if (!an && !av) || (!bn && !bv) { out[i] = 0 } else if an || bn { nulls[i] = 1 } else { out[i] = 1 }
                } else {
                    if (!an && av) || (!bn && bv) { out[i] = 1 } else if an || bn { nulls[i] = 1 } else { out[i] = 0 }
                }
            }
            return ColumnVector(type: .boolean, ints: out, nulls: nulls)
        }
    }

    static let not = ScalarFunction(name: "NOT") { args, n, _ in
        let a = expand(args[0], n)
        return ColumnVector(type: .boolean, ints: a.ints.map { $0 != 0 ? 0 : 1 }, nulls: a.nulls)
    }

    static func negate(_ type: ColumnType) -> ScalarFunction {
        ScalarFunction(name: "-") { args, n, _ in
            let a = expand(args[0], n)
            switch type.physical {
            case .int64: return ColumnVector(type: type, ints: a.ints.map { 0 &- $0 }, nulls: a.nulls)
            case .int128: return ColumnVector(type: type, wides: a.wides.map { 0 &- $0 }, nulls: a.nulls)
            case .float64: return ColumnVector(type: type, doubles: a.doubles.map { -$0 }, nulls: a.nulls)
            case .bytes: preconditionFailure("no negation of strings")
            }
        }
    }

    static func cast(to type: ColumnType) -> ScalarFunction {
        ScalarFunction(name: "cast") { args, _, _ in CastKernel.cast(args[0], to: type) }
    }

    static let isNull = ScalarFunction(name: "is_null") { args, n, _ in
        let a = expand(args[0], n)
        return ColumnVector(type: .boolean, ints: (0..<n).map { a.isNull($0) ? 1 : 0 })
    }

    /// `x IN (list)`: args[0] is x, the rest the list (all of one type).
    /// `x [NOT] IN (…)`. A list of constants (the usual case, up to ``ExprLimits/maxChildren``
    /// items) becomes one hash set per call, probed once per row; only non-constant items are
    /// compared row by row. SQL's three-valued logic: no match and a NULL item give NULL.
    static func inList(negated: Bool) -> ScalarFunction {
        ScalarFunction(name: "in") { args, n, _ in
            let x = expand(args[0], n)
            let items = args.dropFirst()
            let constantItems = items.filter { $0.count == 1 && n != 1 }
            let rowItems = items.filter { !($0.count == 1 && n != 1) }.map { expand($0, n) }
            var constantNull = false
            var intSet = Set<Int64>()
            var valueSet = Set<Value>()
            let intLane = x.type.physical == .int64
            for c in constantItems {
                if c.isNull(0) {
                    constantNull = true
                } else if intLane {
                    intSet.insert(c.ints[0])
                } else {
                    valueSet.insert(c.value(at: 0))
                }
            }
            let hasConstants = !intSet.isEmpty || !valueSet.isEmpty
            var out = [Int64](repeating: 0, count: n)
            var nulls = [UInt8]()
            for i in 0..<n {
                if x.isNull(i) {
                    if nulls.isEmpty { nulls = [UInt8](repeating: 0, count: n) }
                    nulls[i] = 1
                    continue
                }
                var found = false
                if hasConstants {
                    found = intLane ? intSet.contains(x.ints[i]) : valueSet.contains(x.value(at: i))
                }
                var sawNull = constantNull
                if !found, !rowItems.isEmpty {
                    let v = x.value(at: i)
                    for c in rowItems {
                        if c.isNull(i) {
                            sawNull = true
                        } else if compareValues(c.value(at: i), v) == 0 {
                            found = true; break
                        }
                    }
                }
                if found {
                    out[i] = negated ? 0 : 1
                } else if sawNull {
                    if nulls.isEmpty { nulls = [UInt8](repeating: 0, count: n) }
                    nulls[i] = 1
                } else {
                    out[i] = negated ? 1 : 0
                }
            }
            return ColumnVector(type: .boolean, ints: out, nulls: nulls)
        }
    }

    /// CASE: args = [cond1, result1, cond2, result2, …, else?]; conditions are booleans.
    static func caseWhen(type: ColumnType, hasElse: Bool) -> ScalarFunction {
        ScalarFunction(name: "case") { args, n, _ in
            let columns = args.map { expand($0, n) }
            let pairs = (columns.count - (hasElse ? 1 : 0)) / 2
            var out = ColumnVector(type: type, capacity: n)
            for i in 0..<n {
                var chosen: ColumnVector?
                for p in 0..<pairs where !columns[2 * p].isNull(i) && columns[2 * p].ints[i] != 0 {
                    chosen = columns[2 * p + 1]
                    break
                }
                if chosen == nil, hasElse { chosen = columns.last }
                if let chosen { out.append(from: chosen, row: i) } else { out.appendNull() }
            }
            return out
        }
    }
}
