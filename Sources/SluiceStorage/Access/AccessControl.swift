/// Users, roles and their grants as one value: what the journal will store and every front door
/// will ask (`check`). Role grants take effect only while active — set as default, activated
/// with `SET ROLE`, or all of them under `activate_all_roles_on_login` — as in StarRocks, whose
/// denial text lists the current and the inactive roles.
package struct AccessControl: Sendable, Codable, Hashable {
    package struct User: Sendable, Codable, Hashable {
        /// Granted roles (active or not).
        package var roles: Set<String> = []
        /// Roles active at login.
        package var defaultRoles: Set<String> = []
        package var grants: [Grant] = []
        /// nil: the empty password.
        package var password: StoredPassword?
    }

    package struct Role: Sendable, Codable, Hashable {
        package var grants: [Grant] = []
        /// Roles granted to this role (their privileges are inherited).
        package var roles: Set<String> = []
        package var builtin = false
    }

    package private(set) var users: [UserIdentity: User] = [:]
    package private(set) var roles: [String: Role]

    /// StarRocks' built-in roles: `root` (everything), `db_admin` (all databases and tables),
    /// `user_admin` (users, roles, GRANT), `cluster_admin` (nodes), `public` (every user; empty).
    package static let builtinRoles: [String: Role] = [
        "root": Role(
            grants: [
                Grant(Set(Privilege.applicable(to: .table)), on: .allTablesInAllDatabases),
                Grant(Set(Privilege.applicable(to: .database)), on: .allDatabases),
                Grant(Set(Privilege.applicable(to: .catalog)), on: .catalog),
                Grant(Set(Privilege.applicable(to: .system)), on: .system),
            ], builtin: true),
        "db_admin": Role(
            grants: [
                Grant(Set(Privilege.applicable(to: .table)), on: .allTablesInAllDatabases),
                Grant(Set(Privilege.applicable(to: .database)), on: .allDatabases),
                Grant(Set(Privilege.applicable(to: .catalog)), on: .catalog),
            ], builtin: true),
        "user_admin": Role(grants: [Grant([.grant], on: .system)], builtin: true),
        "cluster_admin": Role(grants: [Grant([.node, .operate], on: .system)], builtin: true),
        "public": Role(builtin: true),
    ]

    /// The initial state: `'root'@'%'` holding (and defaulting to) the `root` role.
    package init() {
        roles = Self.builtinRoles
        users[UserIdentity("root")] = User(roles: ["root"], defaultRoles: ["root"])
    }

    // MARK: Changes (each is one journal record's worth)

    package enum Failure: Error, Sendable, Equatable {
        case userExists(UserIdentity), noSuchUser(UserIdentity), roleExists(String), noSuchRole(String)
        case builtinRole(String), notApplicable(Privilege, PrivilegeObject)

        /// StarRocks' / MySQL's wording.
        package var message: String {
            switch self {
            case .userExists(let u): "Operation CREATE USER failed for \(u) : user already exists"
            case .noSuchUser(let u): "Operation on \(u) failed: user does not exist"
            case .roleExists(let r): "Operation CREATE ROLE failed for \(r) : role already exists"
            case .noSuchRole(let r): "Role \(r) doesn't exist"
            case .builtinRole(let r): "\(r) is a built-in role and cannot be changed or dropped"
            case .notApplicable(let p, let o):
                "\(p.rawValue) cannot be granted on \(o.kind == .table ? "TABLE" : "\(o)")"
            }
        }
    }

    package mutating func createUser(_ user: UserIdentity, ifNotExists: Bool = false) throws(Failure) {
        guard users[user] == nil else {
            if ifNotExists { return }
            throw .userExists(user)
        }
        users[user] = User()
    }

    /// Sets (or, with nil, empties) a user's password.
    package mutating func setPassword(_ password: StoredPassword?, for user: UserIdentity) throws(Failure) {
        guard users[user] != nil else { throw .noSuchUser(user) }
        users[user]!.password = password
    }

    package mutating func dropUser(_ user: UserIdentity, ifExists: Bool = false) throws(Failure) {
        guard users.removeValue(forKey: user) != nil || ifExists else { throw .noSuchUser(user) }
    }

    package mutating func createRole(_ role: String, ifNotExists: Bool = false) throws(Failure) {
        guard roles[role] == nil else {
            if ifNotExists { return }
            throw .roleExists(role)
        }
        roles[role] = Role()
    }

    package mutating func dropRole(_ role: String) throws(Failure) {
        guard let existing = roles[role] else { throw .noSuchRole(role) }
        guard !existing.builtin else { throw .builtinRole(role) }
        roles[role] = nil
        for key in users.keys {
            users[key]?.roles.remove(role)
            users[key]?.defaultRoles.remove(role)
        }
        for key in roles.keys { roles[key]?.roles.remove(role) }
    }

    package mutating func grant(_ grant: Grant, to user: UserIdentity) throws(Failure) {
        try check(grant)
        guard users[user] != nil else { throw .noSuchUser(user) }
        users[user]!.grants.append(grant)
    }

    package mutating func grant(_ grant: Grant, toRole role: String) throws(Failure) {
        try check(grant)
        guard let existing = roles[role] else { throw .noSuchRole(role) }
        guard !existing.builtin else { throw .builtinRole(role) }
        roles[role]!.grants.append(grant)
    }

    package mutating func revoke(_ privileges: Set<Privilege>, on object: PrivilegeObject, from user: UserIdentity)
        throws(Failure)
    {
        guard var record = users[user] else { throw .noSuchUser(user) }
        record.grants = Self.removing(privileges, on: object, from: record.grants)
        users[user] = record
    }

    package mutating func grantRole(_ role: String, to user: UserIdentity) throws(Failure) {
        guard roles[role] != nil else { throw .noSuchRole(role) }
        guard users[user] != nil else { throw .noSuchUser(user) }
        users[user]!.roles.insert(role)
    }

    package mutating func revokeRole(_ role: String, from user: UserIdentity) throws(Failure) {
        guard users[user] != nil else { throw .noSuchUser(user) }
        users[user]!.roles.remove(role)
        users[user]!.defaultRoles.remove(role)
    }

    package mutating func setDefaultRoles(_ defaults: Set<String>, for user: UserIdentity) throws(Failure) {
        guard users[user] != nil else { throw .noSuchUser(user) }
        for role in defaults where roles[role] == nil { throw .noSuchRole(role) }
        users[user]!.defaultRoles = defaults
        users[user]!.roles.formUnion(defaults)
    }

    private func check(_ grant: Grant) throws(Failure) {
        let applicable = Set(Privilege.applicable(to: grant.object.kind))
        if let wrong = grant.privileges.subtracting(applicable).sorted().first {
            throw .notApplicable(wrong, grant.object)
        }
    }

    private static func removing(_ privileges: Set<Privilege>, on object: PrivilegeObject, from grants: [Grant])
        -> [Grant]
    {
        grants.compactMap { grant in
            guard grant.object == object else { return grant }
            var rest = grant
            rest.privileges.subtract(privileges)
            return rest.privileges.isEmpty ? nil : rest
        }
    }

    // MARK: Checks

    /// Whether `user`, with `activeRoles` active, holds `privilege` on `object` (directly, through
    /// an active role or a role it inherits, or through `public`).
    package func allows(
        _ user: UserIdentity, activeRoles: Set<String>, _ privilege: Privilege, on object: PrivilegeObject
    ) -> Bool {
        guard let record = users[user] else { return false }
        if Self.grants(record.grants, privilege, object) { return true }
        var seen = Set<String>()
        var pending = Array(activeRoles.intersection(record.roles)) + ["public"]
        while let role = pending.popLast() {
            guard seen.insert(role).inserted, let definition = roles[role] else { continue }
            if Self.grants(definition.grants, privilege, object) { return true }
            pending.append(contentsOf: definition.roles)
        }
        return false
    }

    private static func grants(_ grants: [Grant], _ privilege: Privilege, _ object: PrivilegeObject) -> Bool {
        grants.contains { $0.privileges.contains(privilege) && $0.object.covers(object) }
    }

    /// `nil` when allowed; else StarRocks' denial text (ERR 5203 / HTTP 401 `Access denied…`).
    package func denial(
        _ user: UserIdentity, activeRoles: Set<String>, _ privilege: Privilege, on object: PrivilegeObject
    ) -> String? {
        guard !allows(user, activeRoles: activeRoles, privilege, on: object) else { return nil }
        let granted = users[user]?.roles ?? []
        let current = activeRoles.intersection(granted).sorted()
        let inactive = granted.subtracting(activeRoles).sorted()
        return
            "Access denied; you need (at least one of) the \(privilege.rawValue) privilege(s) on \(object.deniedName) "
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
