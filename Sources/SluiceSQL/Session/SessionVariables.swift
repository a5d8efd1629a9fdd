import SluiceExpr
import SluiceFormat

/// Reads and sets system variables for a session (spec mysql-protocol §5): the session's own
/// value, else the global one, else the default. Variables that steer execution (`query_timeout`,
/// `time_zone`, `query_mem_limit`/`exec_mem_limit`) are also applied to the session's fields.
struct SessionVariables {
    let globals: GlobalVariables

    /// - Throws: `.unknownVariable` for a name that is not a system variable.
    func value(_ name: String, global: Bool, session: Session) throws -> VariableValue {
        guard let definition = SystemVariables.definition(name) else {
            throw SQLError(.unknownVariable, "Unknown system variable '\(name)'")
        }
        if global { return globals.value(of: definition) }
        switch definition.name {
        case "query_timeout": return .int(Int64(session.queryTimeoutSeconds))
        case "time_zone": return .string(session.timeZone.name)
        default: return session.variables[definition.name] ?? globals.value(of: definition)
        }
    }

    /// Every variable as SHOW VARIABLES lists it, by name.
    func all(global: Bool, session: Session) -> [(String, VariableValue)] {
        SystemVariables.definitions.map(\.name).sorted().compactMap { name in
            (try? value(name, global: global, session: session)).map { (name, $0) }
        }
    }

    func set(_ assignment: SetAssignment, session: inout Session) throws {
        switch assignment.target {
        case .user(let name):
            guard let expr = assignment.value else {
                session.userVariables[name.lowercased()] = (.null, nil)
                return
            }
            session.userVariables[name.lowercased()] = try constant(expr, session)
        case .system(let name, let global):
            try setSystem(name, global: global, expr: assignment.value, session: &session)
        }
    }

    private func setSystem(_ name: String, global: Bool, expr: Expr?, session: inout Session) throws {
        if SystemVariables.ignoredOnSet.contains(name.lowercased()) { return }
        guard let definition = SystemVariables.definition(name) else {
            throw SQLError(.unknownVariable, "Unknown system variable '\(name)'")
        }
        switch definition.settable {
        case .readOnly:
            throw SQLError(.readOnlyVariable, "Variable '\(definition.name)' is a read only variable")
        case .globalOnly where !global:
            throw SQLError(
                .readOnlyVariable,
                "Variable '\(definition.name)' is a GLOBAL variable and should be set with SET GLOBAL")
        default:
            break
        }
        let value: VariableValue
        if let expr {
            value = try convert(try constant(expr, session), for: definition)
        } else {
            value = global ? globals.defaultValue(of: definition) : globals.value(of: definition)
        }
        if definition.name == "time_zone" {
            guard case .string(let zoneName) = value, let zone = SessionTimeZone(zoneName) else {
                throw SQLError(.wrongValue, "Unknown or incorrect time zone: '\(value.text)'")
            }
            if !global { session.timeZone = zone }
        }
        if global {
            globals.set(definition.name, value)
            return
        }
        session.variables[definition.name] = value
        switch definition.name {
        case "query_timeout":
            if case .int(let v) = value { session.queryTimeoutSeconds = Int(v) }
        case "enable_insert_strict":
            if case .bool(let v) = value { session.insertStrict = v }
        case "query_mem_limit", "exec_mem_limit":
            func int(_ n: String) -> Int? {
                if case .int(let v)? = try? self.value(n, global: false, session: session) { return Int(v) }
                return nil
            }
            session.queryMemoryLimit = GlobalVariables.memoryLimit(
                query: int("query_mem_limit"), exec: int("exec_mem_limit"))
        default:
            break
        }
    }

    /// A SET value: a constant expression (session values folded in).
    private func constant(_ expr: Expr, _ session: Session) throws -> (value: Value, type: ColumnType?) {
        let folded = try SessionFunctions(session: session, globals: globals).fold(expr)
        if case .literal(let v, let type) = folded { return (v, type) }
        let bound = try ExprBinder(resolver: NameResolver(names: [], types: [])).bind(folded)
        let column = try Evaluator.evaluate(bound, batch: [], rows: 1, context: session.evaluationContext)
        return (column.value(at: 0), bound.type)
    }

    /// The value as the variable's kind: integers in range, booleans from 0/1/ON/OFF/TRUE/FALSE.
    private func convert(_ constant: (value: Value, type: ColumnType?), for definition: SystemVariable) throws
        -> VariableValue
    {
        let text: String? = constant.type.flatMap { constant.value.text(as: $0) }
        func wrong() -> SQLError {
            SQLError(.wrongValue, "Variable '\(definition.name)' can't be set to the value of '\(text ?? "NULL")'")
        }
        switch definition.defaultValue {
        case .bool:
            switch text?.uppercased() {
            case "1", "ON", "TRUE": return .bool(true)
            case "0", "OFF", "FALSE": return .bool(false)
            default: throw wrong()
            }
        case .int:
            guard let text, let v = Int64(text) else { throw wrong() }
            if let range = definition.range, !range.contains(v) {
                throw SQLError(
                    .wrongValue,
                    "Variable '\(definition.name)' can't be set to the value of '\(v)': it must be within "
                        + "\(range.lowerBound)...\(range.upperBound)")
            }
            return .int(v)
        case .string:
            guard let text else { return .string("") }
            return .string(definition.name == "sql_mode" ? text.uppercased() : text)
        }
    }
}
