package import SluiceStorage

/// Users, roles and privileges over SQL (StarRocks' RBAC statements).
package enum AccessStatement: Sendable, Equatable {
    case createUser(UserIdentity, ifNotExists: Bool, password: PasswordSpec?, defaultRoles: [String])
    /// `ALTER USER u IDENTIFIED BY …` and/or `ALTER USER u DEFAULT ROLE …`.
    case alterUser(UserIdentity, ifExists: Bool, password: PasswordSpec?, defaultRoles: RoleSelection?)
    case dropUser(UserIdentity, ifExists: Bool)
    /// `SET PASSWORD [FOR u] = PASSWORD('pw') | '*hash'`; nil user = the current one.
    case setPassword(UserIdentity?, PasswordSpec)
    case createRole(String, ifNotExists: Bool)
    case dropRole(String, ifExists: Bool)
    case grant(Set<Privilege>, on: PrivilegeTarget, to: Grantee, withGrantOption: Bool)
    case revoke(Set<Privilege>, on: PrivilegeTarget, from: Grantee)
    case grantRoles([String], to: Grantee)
    case revokeRoles([String], from: Grantee)
    /// `SET ROLE r, … | ALL | NONE | DEFAULT` for the session.
    case setRole(RoleSelection)
    /// `SET DEFAULT ROLE … TO u, …`.
    case setDefaultRole(RoleSelection, to: [UserIdentity])
    /// `SHOW GRANTS [FOR u | FOR ROLE r]`; nil = the current user.
    case showGrants(Grantee?)
    case showUsers
    case showRoles
    /// `SHOW AUTHENTICATION [FOR u | ALL]`.
    case showAuthentication(UserIdentity?, all: Bool)
}

/// A password as a statement gives it: in clear (`IDENTIFIED BY 'pw'`, `PASSWORD('pw')`) or as
/// MySQL's native hash (`IDENTIFIED BY PASSWORD '*6BB4…'`, `… AS '*6BB4…'`).
package enum PasswordSpec: Sendable, Equatable {
    case plain(String)
    /// `SHA1(SHA1(password))`, 20 bytes.
    case nativeHash([UInt8])
}

/// Who a GRANT or REVOKE is about.
package enum Grantee: Sendable, Equatable {
    case user(UserIdentity)
    case role(String)
}

/// The roles of `SET ROLE` / `SET DEFAULT ROLE` / `DEFAULT ROLE`.
package enum RoleSelection: Sendable, Equatable {
    case roles([String])
    case all
    case none
    /// `SET ROLE DEFAULT`: the user's default roles.
    case defaults
    /// `SET ROLE ALL EXCEPT r, …`.
    case allExcept([String])
}

/// What a GRANT names after ON, before the session's database fills in an unqualified name.
package enum PrivilegeTarget: Sendable, Equatable {
    case table(QualifiedName)
    /// `ALL TABLES IN DATABASE db` or `db.*`; nil database = the session's.
    case allTables(inDatabase: String?)
    case allTablesInAllDatabases
    case database(String?)
    case allDatabases
    case catalog
    case system
}
