import SluiceExpr
import SluiceFormat
import SluiceStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Folds what only the session knows into literals before a statement is bound: `@@x` and `@x`
/// references, and `DATABASE()`, `USER()`, `CONNECTION_ID()`, `VERSION()`, `CURRENT_VERSION()`,
/// `SLEEP(n)`… (spec mysql-protocol §4.12).
struct SessionFunctions {
    let session: Session
    let globals: GlobalVariables

    /// The SELECT with session values folded; select items keep the names they were written with.
    func fold(_ select: SelectStatement) throws -> SelectStatement {
        var select = select
        for i in select.items.indices {
            let original = select.items[i].expr
            let folded = try fold(original)
            if folded != original, select.items[i].alias == nil { select.items[i].alias = original.sql }
            select.items[i].expr = folded
        }
        select.filter = try select.filter.map(fold)
        select.having = try select.having.map(fold)
        select.groupBy = try select.groupBy.map(fold)
        for i in select.orderBy.indices { select.orderBy[i].expr = try fold(select.orderBy[i].expr) }
        return select
    }

    func fold(_ expr: Expr) throws -> Expr {
        var failure: (any Error)?
        let folded = expr.rewrite { node in
            guard failure == nil else { return nil }
            do {
                return try replacement(node)
            } catch {
                failure = error
                return nil
            }
        }
        if let failure { throw failure }
        return folded
    }

    private func replacement(_ node: Expr) throws -> Expr? {
        switch node {
        case .variable(let reference):
            return try literal(reference)
        case .call(let name, let arguments, _):
            switch (name.lowercased(), arguments.count) {
            case ("database", 0), ("schema", 0): return text(session.database ?? "")
            case ("user", 0), ("session_user", 0), ("system_user", 0):
                return text("'\(session.user)'@'\(session.clientHost)'")
            case ("current_user", 0): return text(session.identity.description)
            case ("connection_id", 0): return .literal(.int(session.connectionID), .bigint)
            case ("version", 0): return text(globals.identity.serverVersion)
            case ("current_version", 0): return text(globals.identity.currentVersion)
            case ("current_role", 0):
                let roles = session.activeRoles.sorted()
                return text(roles.isEmpty ? "NONE" : roles.joined(separator: ", "))
            case ("sleep", 1): return try sleep(fold(arguments[0]))
            default: return nil
            }
        default:
            return nil
        }
    }

    func literal(_ reference: VariableReference) throws -> Expr {
        switch reference.kind {
        case .user:
            guard let stored = session.userVariables[reference.name.lowercased()] else { return .literal(.null, nil) }
            return .literal(stored.value, stored.type)
        case .system(let scope):
            let value = try SessionVariables(globals: globals).value(
                reference.name, global: scope == "global", session: session)
            let (v, type) = value.typed
            return .literal(v, type)
        }
    }

    private func text(_ s: String) -> Expr { .literal(.string(s), .varchar(length: max(1, s.utf8.count))) }

    /// `SLEEP(n)`: waits n seconds unless the statement is killed, cancelled or times out first.
    private func sleep(_ argument: Expr) throws -> Expr {
        let binder = ExprBinder(resolver: NameResolver(names: [], types: []))
        let bound = binder.coerce(try binder.bind(argument), to: .double)
        let value = try Evaluator.evaluate(bound, batch: [], rows: 1, context: session.evaluationContext)
        guard case .double(let seconds) = value.value(at: 0), seconds > 0 else { return .literal(.int(0), .bigint) }
        let budget = QueryBudget(session: session)
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .milliseconds(Int64(min(seconds, 86_400) * 1000)))
        while clock.now < end {
            try budget.check()
            usleep(10_000)
        }
        return .literal(.int(0), .bigint)
    }
}
