import SluiceExpr
import SluiceFormat

extension Expr {
    /// Every column name referenced (lowercased).
    func collectColumns(into names: inout Set<String>) {
        switch self {
        case .column(let name, _): names.insert(name.lowercased())
        case .literal, .star, .variable: break
        case .unary(_, let e), .isNull(let e, _), .cast(let e, _): e.collectColumns(into: &names)
        case .binary(_, let a, let b), .like(let a, let b, _):
            a.collectColumns(into: &names)
            b.collectColumns(into: &names)
        case .inList(let e, let list, _):
            e.collectColumns(into: &names)
            for x in list { x.collectColumns(into: &names) }
        case .between(let e, let l, let u, _):
            for x in [e, l, u] { x.collectColumns(into: &names) }
        case .caseWhen(let operand, let branches, let otherwise):
            operand?.collectColumns(into: &names)
            for b in branches {
                b.condition.collectColumns(into: &names)
                b.result.collectColumns(into: &names)
            }
            otherwise?.collectColumns(into: &names)
        case .call(_, let args, _):
            for a in args { a.collectColumns(into: &names) }
        }
    }

    /// The expression with qualifiers removed and names lowercased (for structural matching).
    var normalized: Expr {
        rewrite { e in
            if case .column(let name, _) = e { return .column(name: name.lowercased(), qualifier: nil) }
            if case .call(let name, let args, let distinct) = e {
                return .call(name: name.lowercased(), arguments: args.map(\.normalized), distinct: distinct)
            }
            return nil
        }
    }

    /// Rebuilds the tree bottom-up... top-down: `transform` may replace a node (returning non-nil).
    func rewrite(_ transform: (Expr) -> Expr?) -> Expr {
        if let replaced = transform(self) { return replaced }
        switch self {
        case .literal, .column, .star, .variable: return self
        case .unary(let op, let e): return .unary(op, e.rewrite(transform))
        case .binary(let op, let a, let b): return .binary(op, a.rewrite(transform), b.rewrite(transform))
        case .isNull(let e, let n): return .isNull(e.rewrite(transform), negated: n)
        case .inList(let e, let list, let n):
            return .inList(e.rewrite(transform), list.map { $0.rewrite(transform) }, negated: n)
        case .between(let e, let l, let u, let n):
            return .between(e.rewrite(transform), lower: l.rewrite(transform), upper: u.rewrite(transform), negated: n)
        case .like(let e, let p, let n): return .like(e.rewrite(transform), pattern: p.rewrite(transform), negated: n)
        case .caseWhen(let operand, let branches, let otherwise):
            return .caseWhen(
                operand: operand?.rewrite(transform),
                branches: branches.map {
                    WhenBranch(condition: $0.condition.rewrite(transform), result: $0.result.rewrite(transform))
                },
                otherwise: otherwise?.rewrite(transform))
        case .cast(let e, let t): return .cast(e.rewrite(transform), t)
        case .call(let name, let args, let d):
            return .call(name: name, arguments: args.map { $0.rewrite(transform) }, distinct: d)
        }
    }

    /// Aggregate calls in the tree (outermost only), in order of appearance.
    func collectAggregates(into list: inout [Expr]) {
        _ = rewrite { e in
            if case .call(let name, _, _) = e, AggregateKind(name: name) != nil {
                let n = e.normalized
                if !list.contains(n) { list.append(n) }
                return e
            }
            return nil
        }
    }
}
