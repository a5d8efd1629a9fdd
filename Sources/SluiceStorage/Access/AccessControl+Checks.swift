/// What a statement or a load needs: one privilege, or any privilege at all on the object
/// (StarRocks' `ANY`, for DESC, SHOW CREATE TABLE and other reads of a table's shape).
package enum AccessRequirement: Sendable, Hashable {
    case privilege(Privilege)
    case any

    var name: String {
        switch self {
        case .privilege(let privilege): privilege.rawValue
        case .any: "ANY"
        }
    }
}

extension AccessControl {
    // MARK: Checks

    /// Whether `user`, with `activeRoles` active, holds `privilege` on `object` (directly, through
    /// an active role or a role it inherits, or through `public`).
    package func allows(
        _ user: UserIdentity, activeRoles: Set<String>, _ privilege: Privilege, on object: PrivilegeObject
    ) -> Bool {
        effectiveGrants(user, activeRoles: activeRoles).contains {
            $0.privileges.contains(privilege) && $0.object.covers(object)
        }
    }

    /// Whether `user` holds any privilege on `object`; for a database, also any privilege on one
    /// of its tables (what makes a database or a table visible in SHOW and information_schema).
    package func allowsAny(_ user: UserIdentity, activeRoles: Set<String>, on object: PrivilegeObject) -> Bool {
        effectiveGrants(user, activeRoles: activeRoles).contains { grant in
            guard !grant.privileges.isEmpty else { return false }
            if grant.object.covers(object) { return true }
            guard case .database(let database) = object else { return false }
            switch grant.object {
            case .table(let db, _), .allTables(let db): return db == database
            case .allTablesInAllDatabases: return true
            default: return false
            }
        }
    }

    /// The grants `user` holds with `activeRoles` active: their own, those of the active roles
    /// (and the roles those inherit), and `public`'s.
    package func effectiveGrants(_ user: UserIdentity, activeRoles: Set<String>) -> [Grant] {
        guard let record = users[user] else { return [] }
        var grants = record.grants
        var seen = Set<String>()
        var pending = Array(activeRoles.intersection(record.roles)) + ["public"]
        while let role = pending.popLast() {
            guard seen.insert(role).inserted, let definition = roles[role] else { continue }
            grants += definition.grants
            pending.append(contentsOf: definition.roles)
        }
        return grants
    }

    /// The identity a login as `name` from `clientHost` takes: the one with that exact host, else
    /// `'name'@'%'`; nil when there is none (the login is refused like a wrong password).
    package func identity(named name: String, clientHost: String) -> UserIdentity? {
        let exact = UserIdentity(name, host: clientHost)
        if users[exact] != nil { return exact }
        let any = UserIdentity(name)
        return users[any] != nil ? any : nil
    }

    /// The stored password of `user`; `.some(nil)` for an empty one, nil for no such user.
    package func password(of user: UserIdentity) -> StoredPassword?? {
        guard let record = users[user] else { return nil }
        return .some(record.password)
    }

    /// `nil` when allowed; else StarRocks' denial text (ERR 5203 / HTTP 401 `Access denied…`).
    package func denial(
        _ user: UserIdentity, activeRoles: Set<String>, _ privilege: Privilege, on object: PrivilegeObject
    ) -> String? {
        denial(user, activeRoles: activeRoles, .privilege(privilege), on: object)
    }

    /// `nil` when `requirement` holds; else StarRocks' denial text.
    package func denial(
        _ user: UserIdentity, activeRoles: Set<String>, _ requirement: AccessRequirement, on object: PrivilegeObject
    ) -> String? {
        switch requirement {
        case .privilege(let privilege):
            if allows(user, activeRoles: activeRoles, privilege, on: object) { return nil }
        case .any:
            if allowsAny(user, activeRoles: activeRoles, on: object) { return nil }
        }
        let granted = users[user]?.roles ?? []
        let current = activeRoles.intersection(granted).sorted()
        let inactive = granted.subtracting(activeRoles).sorted()
        return
            "Access denied; you need (at least one of) the \(requirement.name) privilege(s) on \(object.deniedName) "
            + "for this operation. Please ask the admin to grant permission(s) or try activating existing roles "
            + "using <set [default] role>. Current role(s): \(current.isEmpty ? "NONE" : current.joined(separator: ", ")). "
            + "Inactivated role(s): \(inactive.isEmpty ? "NONE" : inactive.joined(separator: ", "))."
    }

    /// The roles active when `user` logs in.
    package func loginRoles(_ user: UserIdentity, activateAll: Bool) -> Set<String> {
        guard let record = users[user] else { return [] }
        return activateAll ? record.roles : record.defaultRoles
    }
}
