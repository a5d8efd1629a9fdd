package import SluiceStorage

/// What one session may do, decided from one snapshot of the access state (a statement sees
/// one consistent set of grants). Denials carry StarRocks' text (ERR 5203 over MySQL, 403 over
/// the HTTP SQL API, 401 for loads).
package struct Authorizer: Sendable {
    package let access: AccessControl
    package let identity: UserIdentity
    package let activeRoles: Set<String>

    package init(access: AccessControl, identity: UserIdentity, activeRoles: Set<String>) {
        self.access = access
        self.identity = identity
        self.activeRoles = activeRoles
    }

    package init(access: AccessControl, session: Session) {
        self.init(access: access, identity: session.identity, activeRoles: session.activeRoles)
    }

    /// - Throws: `.accessDenied` with StarRocks' text when `requirement` does not hold.
    package func require(_ requirement: AccessRequirement, on object: PrivilegeObject) throws(SQLError) {
        if let denial = access.denial(identity, activeRoles: activeRoles, requirement, on: object) {
            throw SQLError(.accessDenied, denial)
        }
    }

    package func require(_ privilege: Privilege, on object: PrivilegeObject) throws(SQLError) {
        try require(.privilege(privilege), on: object)
    }

    /// Whether SHOW DATABASES, information_schema and the like show `database`: some privilege
    /// on it or on one of its tables (`information_schema` is everyone's).
    package func sees(database: String) -> Bool {
        SystemCatalog.isSystemDatabase(database)
            || access.allowsAny(identity, activeRoles: activeRoles, on: .database(database))
    }

    /// Whether SHOW TABLES, information_schema and SHOW ROUTINE LOAD show `table`.
    package func sees(database: String, table: String) -> Bool {
        SystemCatalog.isSystemDatabase(database)
            || access.allowsAny(identity, activeRoles: activeRoles, on: .table(database: database, name: table))
    }

    /// Whether the session may manage users, roles and grants (`user_admin`, SYSTEM GRANT).
    package var administersAccess: Bool {
        access.allows(identity, activeRoles: activeRoles, .grant, on: .system)
    }

    /// Whether the session may run operator statements (SET GLOBAL, KILL of another user's
    /// connection, the whole PROCESSLIST): SYSTEM OPERATE.
    package var operates: Bool { access.allows(identity, activeRoles: activeRoles, .operate, on: .system) }
}
