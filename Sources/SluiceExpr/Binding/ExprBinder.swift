package import SluiceFormat

/// Finds the input column a name refers to.
package protocol ColumnResolver {
    /// - Returns: the column's index in the input batch and its type.
    /// - Throws: `.unknownColumn` naming the column.
    func resolveColumn(name: String, qualifier: String?) throws(ExprError) -> (index: Int, type: ColumnType)
}

/// Type-checks an ``Expr`` against a ``ColumnResolver`` and inserts the casts StarRocks would.
package struct ExprBinder {
    package var resolver: any ColumnResolver

    package init(resolver: any ColumnResolver) { self.resolver = resolver }

    package func bind(_ expr: Expr) throws(ExprError) -> BoundExpr {
        try StackGuard.check()
        switch expr {
        case .literal(let value, let type):
            return .literal(value, type ?? .boolean)
        case .column(let name, let qualifier):
            let (index, type) = try resolver.resolveColumn(name: name, qualifier: qualifier)
            return .column(index, type)
        case .star:
            throw ExprError(.syntax, "'*' is not allowed here")
        case .variable(let reference):
            throw ExprError(.syntax, "Variables are not available here: \(reference.text)")
        case .unary(.not, let inner):
            return .call(OperatorKernels.not, [coerce(try bind(inner), to: .boolean)], .boolean)
        case .unary(.negate, let inner):
            let b = try bind(inner)
            let type =
                TypeCoercion.arithmeticType(b.type, .tinyint) == .bigint && b.type.isInteger
                ? b.type : TypeCoercion.numericView(b.type)
            let t = type.isInteger ? (type == .largeint ? .largeint : .bigint) : type
            return .call(OperatorKernels.negate(t), [coerce(b, to: t)], t)
        case .binary:
            // Operator chains (`a + b + c …`, `x AND y AND …`) lean left: walk the left spine in a
            // loop, so a chain's length costs no stack.
            var rights = [(BinaryOperator, Expr)]()
            var node = expr
            while case .binary(let op, let lhs, let rhs) = node {
                rights.append((op, rhs))
                node = lhs
            }
            var bound = try bind(node)
            for (op, rhs) in rights.reversed() { bound = try bindBinary(op, bound, try bind(rhs)) }
            return bound
        case .isNull(let inner, let negated):
            let test = BoundExpr.call(OperatorKernels.isNull, [try bind(inner)], .boolean)
            return negated ? .call(OperatorKernels.not, [test], .boolean) : test
        case .inList(let inner, let list, let negated):
            let x = try bind(inner)
            let items = try list.map { (e) throws(ExprError) -> BoundExpr in try bind(e) }
            let type = items.filter { !isNullLiteral($0) }.reduce(x.type) { TypeCoercion.commonType($0, $1.type) }
            return .call(
                OperatorKernels.inList(negated: negated), [coerce(x, to: type)] + items.map { coerce($0, to: type) },
                .boolean)
        case .between(let inner, let lower, let upper, let negated):
            let x = try bind(inner)
            let range = BoundExpr.call(
                OperatorKernels.logical(.and),
                [
                    try bindBinary(.greaterEqual, x, try bind(lower)), try bindBinary(.lessEqual, x, try bind(upper)),
                ], .boolean)
            return negated ? .call(OperatorKernels.not, [range], .boolean) : range
        case .like(let inner, let pattern, let negated):
            let x = coerce(try bind(inner), to: .string)
            let p = coerce(try bind(pattern), to: .string)
            let test = BoundExpr.call(PatternMatching.like, [x, p], .boolean)
            return negated ? .call(OperatorKernels.not, [test], .boolean) : test
        case .caseWhen(let operand, let branches, let otherwise):
            return try bindCase(operand, branches, otherwise)
        case .cast(let inner, let type):
            return coerce(try bind(inner), to: type)
        case .call(let name, let arguments, _):
            if AggregateKind(name: name) != nil {
                throw ExprError(.syntax, "Aggregate function \(name)() is not allowed here")
            }
            let args = try arguments.map { (e) throws(ExprError) -> BoundExpr in try bind(e) }
            let binding = try FunctionLibrary.resolve(name, args.map(\.type), constants: args.map(\.constant))
            return .call(
                binding.function, zip(args, binding.argumentTypes).map { coerce($0, to: $1) }, binding.resultType)
        }
    }

    func isNullLiteral(_ e: BoundExpr) -> Bool {
        if case .literal(.null, _) = e { return true }
        return false
    }

    private func bindBinary(_ op: BinaryOperator, _ a: BoundExpr, _ b: BoundExpr) throws(ExprError) -> BoundExpr {
        switch op {
        case .and, .or:
            return .call(OperatorKernels.logical(op), [coerce(a, to: .boolean), coerce(b, to: .boolean)], .boolean)
        case .concat:
            let binding = try FunctionLibrary.resolve("concat", [a.type, b.type])
            return .call(binding.function, [coerce(a, to: .string), coerce(b, to: .string)], .string)
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .nullSafeEqual:
            let type = isNullLiteral(a) ? b.type : isNullLiteral(b) ? a.type : TypeCoercion.commonType(a.type, b.type)
            return .call(OperatorKernels.comparison(op), [coerce(a, to: type), coerce(b, to: type)], .boolean)
        case .add, .subtract, .multiply, .divide, .modulo, .integerDivide:
            let ta = TypeCoercion.numericView(a.type), tb = TypeCoercion.numericView(b.type)
            let common = TypeCoercion.arithmeticType(ta, tb)
            if isNullLiteral(a) || isNullLiteral(b) { return .literal(.null, common) }
            switch (op, common) {
            case (.multiply, .decimal), (.divide, .decimal), (.integerDivide, .decimal):
                let sa = ta.decimalScale, sb = tb.decimalScale
                let ca = coerce(a, to: .decimal(precision: 38, scale: sa)),
                    cb = coerce(b, to: .decimal(precision: 38, scale: sb))
                let rs: Int =
                    switch op {
                    case .multiply: min(sa + sb, 18)
                    case .divide: min(max(sa + 6, 6), 18)
                    default: 0
                    }
                let result: ColumnType = op == .integerDivide ? .bigint : .decimal(precision: 38, scale: rs)
                return .call(OperatorKernels.arithmetic(op, type: common, resultType: result), [ca, cb], result)
            case (.divide, _):
                return .call(
                    OperatorKernels.arithmetic(.divide, type: .double, resultType: .double),
                    [coerce(a, to: .double), coerce(b, to: .double)], .double)
            case (.integerDivide, .double):
                return .call(
                    OperatorKernels.arithmetic(op, type: .double, resultType: .bigint),
                    [coerce(a, to: .double), coerce(b, to: .double)], .bigint)
            default:
                return .call(
                    OperatorKernels.arithmetic(op, type: common, resultType: common),
                    [coerce(a, to: common), coerce(b, to: common)], common)
            }
        }
    }

    private func bindCase(_ operand: Expr?, _ branches: [WhenBranch], _ otherwise: Expr?) throws(ExprError) -> BoundExpr
    {
        let subject = try operand.map { (e) throws(ExprError) -> BoundExpr in try bind(e) }
        var conditions = [BoundExpr]()
        var results = [BoundExpr]()
        for branch in branches {
            let condition = try bind(branch.condition)
            if let subject {
                conditions.append(try bindBinary(.equal, subject, condition))
            } else {
                conditions.append(coerce(condition, to: .boolean))
            }
            results.append(try bind(branch.result))
        }
        let elseBranch = try otherwise.map { (e) throws(ExprError) -> BoundExpr in try bind(e) }
        let candidates = (results + (elseBranch.map { [$0] } ?? [])).filter { !isNullLiteral($0) }
        let type = TypeCoercion.unionType(candidates.map(\.type))
        var args = [BoundExpr]()
        for (c, r) in zip(conditions, results) {
            args.append(c)
            args.append(coerce(r, to: type))
        }
        if let elseBranch { args.append(coerce(elseBranch, to: type)) }
        return .call(OperatorKernels.caseWhen(type: type, hasElse: elseBranch != nil), args, type)
    }

    /// Casts `e` to `type`, folding literal casts at bind time.
    package func coerce(_ e: BoundExpr, to type: ColumnType) -> BoundExpr {
        if e.type == type { return e }
        if case .literal(let value, let from) = e {
            if value.isNull { return .literal(.null, type) }
            var one = ColumnVector(type: from)
            one.append(value)
            return .literal(CastKernel.cast(one, to: type).value(at: 0), type)
        }
        return .call(OperatorKernels.cast(to: type), [e], type)
    }
}

/// Evaluates bound expressions over column batches.
package enum Evaluator {
    /// Evaluates `expr` over `rows` rows of `batch`; the result always has `rows` rows.
    package static func evaluate(_ expr: BoundExpr, batch: [ColumnVector], rows: Int, context: EvaluationContext) throws
        -> ColumnVector
    {
        let result = try evaluateRaw(expr, batch: batch, rows: rows, context: context)
        return OperatorKernels.expand(result, rows)
    }

    /// Constants come back as 1-row columns; kernels broadcast them.
    static func evaluateRaw(_ expr: BoundExpr, batch: [ColumnVector], rows: Int, context: EvaluationContext) throws
        -> ColumnVector
    {
        try StackGuard.check()
        switch expr {
        case .column(let index, _):
            return batch[index]
        case .literal(let value, let type):
            var one = ColumnVector(type: type)
            one.append(value)
            return one
        case .call:
            // Calls whose first argument is a call (operator chains) are evaluated bottom-up in a
            // loop, so a chain's length costs no stack.
            var spine = [(ScalarFunction, [BoundExpr])]()
            var node = expr
            while case .call(let function, let args, _) = node {
                spine.append((function, args))
                guard let first = args.first, case .call = first else { break }
                node = first
            }
            var below: ColumnVector?
            for (function, args) in spine.reversed() {
                var evaluated = [ColumnVector]()
                evaluated.reserveCapacity(args.count)
                for (k, arg) in args.enumerated() {
                    if k == 0, let below {
                        evaluated.append(below)
                    } else {
                        evaluated.append(try evaluateRaw(arg, batch: batch, rows: rows, context: context))
                    }
                }
                let allConstant = !evaluated.isEmpty && evaluated.allSatisfy { $0.count == 1 } && rows != 1
                below = try function.kernel(evaluated, allConstant ? 1 : rows, context)
            }
            return below!
        }
    }

    /// Evaluates a predicate and returns the indices of rows where it is TRUE.
    package static func select(_ predicate: BoundExpr, batch: [ColumnVector], rows: Int, context: EvaluationContext)
        throws -> [Int]
    {
        let mask = try evaluate(predicate, batch: batch, rows: rows, context: context)
        var selected = [Int]()
        selected.reserveCapacity(rows)
        for i in 0..<rows where mask.ints[i] != 0 && !mask.isNull(i) { selected.append(i) }
        return selected
    }
}
