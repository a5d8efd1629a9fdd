import SluiceExpr
import Synchronization

/// The process's global variable values (`SET GLOBAL`) and its identity; one per process, shared
/// by every session. New sessions start from the globals (``configure(_:)``).
package final class GlobalVariables: Sendable {
    package let identity: ServerIdentity
    private let values = Mutex<[String: VariableValue]>([:])

    package init(identity: ServerIdentity = ServerIdentity()) { self.identity = identity }

    /// The global value of `definition`: set with `SET GLOBAL`, else its default.
    func value(of definition: SystemVariable) -> VariableValue {
        if let set = values.withLock({ $0[definition.name] }) { return set }
        return defaultValue(of: definition)
    }

    func set(_ name: String, _ value: VariableValue) { values.withLock { $0[name] = value } }

    /// The built-in default, with the identity-dependent ones filled in.
    func defaultValue(of definition: SystemVariable) -> VariableValue {
        switch definition.name {
        case "version": .string(identity.serverVersion)
        case "version_comment": .string(identity.versionComment)
        case "system_time_zone", "time_zone": .string(identity.systemTimeZone)
        default: definition.defaultValue
        }
    }

    /// Gives a new session the global values of the variables that steer execution.
    package func configure(_ session: inout Session) {
        func int(_ name: String) -> Int? {
            guard let definition = SystemVariables.definition(name), case .int(let v) = value(of: definition) else {
                return nil
            }
            return Int(v)
        }
        if let timeout = int("query_timeout") { session.queryTimeoutSeconds = timeout }
        if let definition = SystemVariables.definition("enable_insert_strict"),
            case .bool(let strict) = value(of: definition)
        {
            session.insertStrict = strict
        }
        session.queryMemoryLimit = Self.memoryLimit(query: int("query_mem_limit"), exec: int("exec_mem_limit"))
        if let definition = SystemVariables.definition("time_zone"), case .string(let name) = value(of: definition),
            let zone = SessionTimeZone(name)
        {
            session.timeZone = zone
        }
    }

    /// `query_mem_limit` when set (> 0), else `exec_mem_limit`.
    static func memoryLimit(query: Int?, exec: Int?) -> Int {
        if let query, query > 0 { return query }
        return exec ?? Session.defaultQueryMemoryLimit
    }
}
