package import SluiceFormat

/// An unresolved SQL expression, as parsed.
package indirect enum Expr: Sendable, Hashable {
    /// A literal with its type (`nil` type = NULL).
    case literal(Value, ColumnType?)
    /// A column reference, optionally qualified by a table name or alias.
    case column(name: String, qualifier: String?)
    /// `*` (only inside `count(*)` and select lists).
    case star
    case unary(UnaryOperator, Expr)
    case binary(BinaryOperator, Expr, Expr)
    case isNull(Expr, negated: Bool)
    case inList(Expr, [Expr], negated: Bool)
    case between(Expr, lower: Expr, upper: Expr, negated: Bool)
    case like(Expr, pattern: Expr, negated: Bool)
    case caseWhen(operand: Expr?, branches: [WhenBranch], otherwise: Expr?)
    case cast(Expr, ColumnType)
    /// A function call; aggregates (`count`, `sum`, …) are calls too. `distinct` for `count(DISTINCT x)`.
    case call(name: String, arguments: [Expr], distinct: Bool)
    /// `@@[session.|global.|local.]name` or `@name`: resolved by the SQL layer before binding.
    case variable(VariableReference)

    /// Whether this expression contains an aggregate call.
    package var containsAggregate: Bool {
        switch self {
        case .call(let name, let args, _):
            return AggregateKind(name: name) != nil || args.contains { $0.containsAggregate }
        case .literal, .column, .star, .variable: return false
        case .unary(_, let e), .isNull(let e, _), .cast(let e, _): return e.containsAggregate
        case .binary(_, let a, let b), .like(let a, let b, _): return a.containsAggregate || b.containsAggregate
        case .inList(let e, let list, _): return e.containsAggregate || list.contains { $0.containsAggregate }
        case .between(let e, let l, let u, _): return e.containsAggregate || l.containsAggregate || u.containsAggregate
        case .caseWhen(let operand, let branches, let otherwise):
            return (operand?.containsAggregate ?? false)
                || branches.contains { $0.condition.containsAggregate || $0.result.containsAggregate }
                || (otherwise?.containsAggregate ?? false)
        }
    }

    /// SQL text of the expression (used as the default output column name).
    package var sql: String {
        switch self {
        case .literal(let v, let type):
            guard let type, let text = v.text(as: type) else { return "NULL" }
            return type.isString || type == .date || type == .datetime || type == .json ? "'\(text)'" : text
        case .column(let name, let qualifier): return qualifier.map { "\($0).\(name)" } ?? name
        case .star: return "*"
        case .variable(let reference): return reference.text
        case .unary(let op, let e): return op == .not ? "NOT \(e.sql)" : "-\(e.sql)"
        case .binary(let op, let a, let b): return "\(a.sql) \(op.rawValue) \(b.sql)"
        case .isNull(let e, let negated): return "\(e.sql) IS \(negated ? "NOT " : "")NULL"
        case .inList(let e, let list, let negated):
            return "\(e.sql) \(negated ? "NOT " : "")IN (\(list.map(\.sql).joined(separator: ", ")))"
        case .between(let e, let l, let u, let negated):
            return "\(e.sql) \(negated ? "NOT " : "")BETWEEN \(l.sql) AND \(u.sql)"
        case .like(let e, let p, let negated): return "\(e.sql) \(negated ? "NOT " : "")LIKE \(p.sql)"
        case .caseWhen(let operand, let branches, let otherwise):
            var s = "CASE"
            if let operand { s += " \(operand.sql)" }
            for b in branches { s += " WHEN \(b.condition.sql) THEN \(b.result.sql)" }
            if let otherwise { s += " ELSE \(otherwise.sql)" }
            return s + " END"
        case .cast(let e, let type): return "CAST(\(e.sql) AS \(type.sqlName))"
        case .call(let name, let args, let distinct):
            return "\(name)(\(distinct ? "DISTINCT " : "")\(args.map(\.sql).joined(separator: ", ")))"
        }
    }
}

/// A variable reference as written: system (`@@x`, `@@session.x`, `@@global.x`) or user (`@x`).
package struct VariableReference: Sendable, Hashable {
    package enum Kind: Sendable, Hashable {
        case user
        /// `scope` is `session`, `global` or `local` when written, nil otherwise.
        case system(scope: String?)
    }
    package var kind: Kind
    /// The variable's name as written (without `@`s and scope).
    package var name: String

    package init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// The reference as SQL text (the default column name of `SELECT @@x`).
    package var text: String {
        switch kind {
        case .user: "@\(name)"
        case .system(let scope?): "@@\(scope).\(name)"
        case .system(nil): "@@\(name)"
        }
    }
}

package struct WhenBranch: Sendable, Hashable {
    package var condition: Expr
    package var result: Expr
    package init(condition: Expr, result: Expr) {
        self.condition = condition
        self.result = result
    }
}

package enum UnaryOperator: String, Sendable, Hashable {
    case negate = "-"
    case not = "NOT"
}

package enum BinaryOperator: String, Sendable, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%", integerDivide = "DIV"
    case equal = "=", notEqual = "!=", less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">="
    case nullSafeEqual = "<=>"
    case and = "AND", or = "OR"
    case concat = "||"

    var isComparison: Bool {
        switch self {
        case .equal, .notEqual, .less, .lessEqual, .greater, .greaterEqual, .nullSafeEqual: true
        default: false
        }
    }
}

/// The aggregate functions the executor knows.
package enum AggregateKind: String, Sendable, Hashable {
    case count, sum, min, max, avg

    package init?(name: String) {
        self.init(rawValue: name.lowercased())
    }
}
