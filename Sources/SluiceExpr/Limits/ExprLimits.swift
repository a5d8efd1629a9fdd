import CSluiceSupport
import Synchronization

/// Bounds on the shape of an expression, so hostile SQL, `columns` or `where` text can neither
/// overflow a thread's stack nor make planning quadratic. The numbers are StarRocks' FE
/// defaults (`expr_depth_limit`, `expr_children_limit`); docs/limits.md lists them.
package enum ExprLimits {
    /// Deepest expression tree accepted: nesting (parentheses, functions, `NOT`, `CASE`) and
    /// operator chains (`a + b + c …`, `x AND y AND …`) both count. StarRocks' 3000 unless the
    /// server's `sql.max_expression_depth` set another (once, at start-up).
    package static var maxDepth: Int { configuredDepth.load(ordering: .relaxed) }
    package static let defaultMaxDepth = 3_000
    private static let configuredDepth = Atomic<Int>(defaultMaxDepth)

    /// Sets the process's depth limit (`sql.max_expression_depth`).
    package static func setMaxDepth(_ depth: Int) { configuredDepth.store(depth, ordering: .relaxed) }
    /// Most children one node may have: `IN (…)` items, function arguments, `CASE` branches.
    package static let maxChildren = 10_000

    static func depthError(position: Int? = nil) -> ExprError {
        ExprError(
            .tooComplex,
            "Exceeded the maximum depth of an expression tree (\(maxDepth)); rewrite the expression with fewer nested "
                + "levels (for long OR/IN chains use IN (…))", position: position)
    }

    static func childrenError(_ count: Int, position: Int? = nil) -> ExprError {
        ExprError(
            .tooComplex,
            "Expression child number \(count) exceeded the maximum \(maxChildren); split the list "
                + "or load the values into a table and join", position: position)
    }

    static func stackError(position: Int? = nil) -> ExprError {
        ExprError(
            .tooComplex,
            "Expression is nested too deeply to evaluate on this thread; simplify it (fewer nested levels)",
            position: position)
    }
}

/// Stops recursion before it overflows the calling thread's stack: recursive parsers, binders
/// and evaluators call ``check()`` at each level and turn a would-be crash into an error.
package enum StackGuard {
    /// Stack kept free below the deepest checked frame, for the work between two checks (one
    /// level of recursion, a kernel, a string build) and for the runtime.
    static let headroom: UInt = 160 * 1024

    /// Whether the calling frame is within ``headroom`` of the end of its thread's stack.
    @inline(__always)
    package static var isExhausted: Bool {
        guard let left = remaining else { return false }
        return left < Int(headroom)
    }

    /// Bytes between the calling frame and the end of its thread's stack (nil when unknown).
    @inline(__always)
    static var remaining: Int? {
        let low = UInt(sluice_stack_low_bound())
        guard low != 0 else { return nil }
        var marker: UInt8 = 0
        let here = withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
        return here > low ? Int(here - low) : 0
    }

    /// - Throws: `.tooComplex` when the stack is nearly exhausted.
    @inline(__always)
    package static func check(position: Int? = nil) throws(ExprError) {
        if isExhausted { throw ExprLimits.stackError(position: position) }
    }
}

extension Expr {
    /// The tree's depth (a leaf is 1).
    /// - Throws: `.tooComplex` past ``ExprLimits/maxDepth`` or when the stack runs short.
    package func checkedDepth(limit: Int = ExprLimits.maxDepth) throws(ExprError) -> Int {
        try StackGuard.check()
        guard limit > 0 else { throw ExprLimits.depthError() }
        var deepest = 0
        for child in children { deepest = max(deepest, try child.checkedDepth(limit: limit - 1)) }
        return deepest + 1
    }

    /// Direct sub-expressions.
    package var children: [Expr] {
        switch self {
        case .literal, .column, .star, .variable: return []
        case .unary(_, let e), .isNull(let e, _), .cast(let e, _): return [e]
        case .binary(_, let a, let b), .like(let a, let b, _): return [a, b]
        case .inList(let e, let list, _): return [e] + list
        case .between(let e, let l, let u, _): return [e, l, u]
        case .caseWhen(let operand, let branches, let otherwise):
            return (operand.map { [$0] } ?? []) + branches.flatMap { [$0.condition, $0.result] }
                + (otherwise.map { [$0] } ?? [])
        case .call(_, let arguments, _): return arguments
        }
    }
}
