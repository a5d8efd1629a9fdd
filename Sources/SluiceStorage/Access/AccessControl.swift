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
        case builtinRole(String), notApplicable(Privilege, PrivilegeObject), roleCycle(String, String)
        case roleNotGranted(String, UserIdentity)

        /// StarRocks' / MySQL's wording.
        package var message: String {
            switch self {
            case .userExists(let u): "Operation CREATE USER failed for \(u) : user already exists"
            case .noSuchUser(let u): "Operation on \(u) failed: user does not exist"
            case .roleExists(let r): "Operation CREATE ROLE failed for \(r) : role already exists"
            case .noSuchRole(let r): "Role \(r) doesn't exist"
            case .builtinRole(let r): "\(r) is a built-in role and cannot be changed or dropped"
            case .roleCycle(let r, let target): "Cannot grant role \(r) to \(target): \(target) would inherit itself"
            case .roleNotGranted(let r, let u): "Role \(r) is not granted to \(u)"
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
        users[user]!.grants = Self.adding(grant, to: users[user]!.grants)
    }

    package mutating func grant(_ grant: Grant, toRole role: String) throws(Failure) {
        try check(grant)
        guard let existing = roles[role] else { throw .noSuchRole(role) }
        guard !existing.builtin else { throw .builtinRole(role) }
        roles[role]!.grants = Self.adding(grant, to: roles[role]!.grants)
    }

    package mutating func revoke(_ privileges: Set<Privilege>, on object: PrivilegeObject, fromRole role: String)
        throws(Failure)
    {
        guard let existing = roles[role] else { throw .noSuchRole(role) }
        guard !existing.builtin else { throw .builtinRole(role) }
        roles[role]!.grants = Self.removing(privileges, on: object, from: existing.grants)
    }

    /// `GRANT r TO ROLE r2`: r2 inherits r's privileges (a cycle is refused).
    package mutating func grantRole(_ role: String, toRole target: String) throws(Failure) {
        guard roles[role] != nil else { throw .noSuchRole(role) }
        guard let existing = roles[target] else { throw .noSuchRole(target) }
        guard !existing.builtin else { throw .builtinRole(target) }
        guard role != target, !inherits(role, target) else { throw .roleCycle(role, target) }
        roles[target]!.roles.insert(role)
    }

    package mutating func revokeRole(_ role: String, fromRole target: String) throws(Failure) {
        guard roles[target] != nil else { throw .noSuchRole(target) }
        roles[target]!.roles.remove(role)
    }

    /// Whether `role` reaches `other` through the roles granted to it.
    private func inherits(_ role: String, _ other: String) -> Bool {
        var seen = Set<String>()
        var pending = [role]
        while let next = pending.popLast() {
            guard seen.insert(next).inserted, let definition = roles[next] else { continue }
            if definition.roles.contains(other) { return true }
            pending.append(contentsOf: definition.roles)
        }
        return false
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

    /// The roles active when `user` logs in; each must be granted to them already.
    package mutating func setDefaultRoles(_ defaults: Set<String>, for user: UserIdentity) throws(Failure) {
        guard let record = users[user] else { throw .noSuchUser(user) }
        for role in defaults.sorted() {
            guard roles[role] != nil else { throw .noSuchRole(role) }
            guard record.roles.contains(role) else { throw .roleNotGranted(role, user) }
        }
        users[user]!.defaultRoles = defaults
    }

    private func check(_ grant: Grant) throws(Failure) {
        let applicable = Set(Privilege.applicable(to: grant.object.kind))
        if let wrong = grant.privileges.subtracting(applicable).sorted().first {
            throw .notApplicable(wrong, grant.object)
        }
    }

    /// `grants` with `grant` merged into the entry on the same object (one line per object in
    /// SHOW GRANTS, as StarRocks prints them).
    private static func adding(_ grant: Grant, to grants: [Grant]) -> [Grant] {
        var grants = grants
        if let index = grants.firstIndex(where: { $0.object == grant.object }) {
            grants[index].privileges.formUnion(grant.privileges)
            grants[index].withGrantOption = grants[index].withGrantOption || grant.withGrantOption
        } else {
            grants.append(grant)
        }
        return grants
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
}
