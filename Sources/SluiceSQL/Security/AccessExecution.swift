import Logging
import SluiceFormat
import SluiceStorage

/// Runs the statements on users, roles and grants. Changes go through the storage engine as one
/// journaled record each (atomic, durable); passwords are hashed before the engine's lock is
/// taken. Managing others takes `user_admin` (SYSTEM GRANT); a user may change their own
/// password, default roles and active roles.
struct AccessExecution {
    let engine: StorageEngine
    let authorizer: Authorizer
    let logger: Logger?

    /// - Returns: the result set of a SHOW, nil for statements answered with OK.
    func run(_ statement: AccessStatement, session: inout Session) throws -> ResultSet? {
        switch statement {
        case .createUser(let user, let ifNotExists, let password, let defaultRoles):
            try requireAdministration()
            let stored = try password.map(Self.stored) ?? nil
            try change("CREATE USER") { access in
                guard access.users[user] == nil else {
                    if ifNotExists { return }
                    throw AccessControl.Failure.userExists(user)
                }
                try access.createUser(user)
                try access.setPassword(stored, for: user)
                for role in defaultRoles { try access.grantRole(role, to: user) }
                try access.setDefaultRoles(Set(defaultRoles), for: user)
            }
            logger?.notice("user created", metadata: ["user": "\(user)", "by": "\(session.identity)"])
        case .alterUser(let user, let ifExists, let password, let defaultRoles):
            if user != session.identity { try requireAdministration() }
            let stored = try password.map(Self.stored) ?? nil
            try change("ALTER USER") { access in
                guard access.users[user] != nil else {
                    if ifExists { return }
                    throw AccessControl.Failure.noSuchUser(user)
                }
                if password != nil { try access.setPassword(stored, for: user) }
                if let defaultRoles {
                    try access.setDefaultRoles(Self.roles(defaultRoles, of: user, in: access), for: user)
                }
            }
        case .dropUser(let user, let ifExists):
            try requireAdministration()
            guard user != UserIdentity("root") else {
                throw SQLError(.userOperationFailed, "Operation DROP USER failed for \(user) : root cannot be dropped")
            }
            try change("DROP USER") { access in try access.dropUser(user, ifExists: ifExists) }
            logger?.notice("user dropped", metadata: ["user": "\(user)", "by": "\(session.identity)"])
        case .setPassword(let user, let password):
            let target = user ?? session.identity
            if target != session.identity { try requireAdministration() }
            let stored = try Self.stored(password)
            try change("SET PASSWORD") { access in try access.setPassword(stored, for: target) }
        case .createRole(let role, let ifNotExists):
            try requireAdministration()
            try change("CREATE ROLE") { access in try access.createRole(role, ifNotExists: ifNotExists) }
        case .dropRole(let role, let ifExists):
            try requireAdministration()
            try change("DROP ROLE") { access in
                if ifExists, access.roles[role] == nil { return }
                try access.dropRole(role)
            }
        case .grant(let privileges, let target, let grantee, let withGrantOption):
            try requireAdministration()
            let object = try resolve(target, session)
            let grant = Grant(Self.expand(privileges, object), on: object, withGrantOption: withGrantOption)
            try change("GRANT") { access in try access.grant(grant, to: grantee) }
        case .revoke(let privileges, let target, let grantee):
            try requireAdministration()
            let object = try resolve(target, session)
            let revoked = Self.expand(privileges, object)
            try change("REVOKE") { access in try access.revoke(revoked, on: object, from: grantee) }
        case .grantRoles(let roles, let grantee):
            try requireAdministration()
            try change("GRANT") { access in
                for role in roles { try access.grantRole(role, to: grantee) }
            }
        case .revokeRoles(let roles, let grantee):
            try requireAdministration()
            try change("REVOKE") { access in
                for role in roles { try access.revokeRole(role, from: grantee) }
            }
        case .setRole(let selection):
            let identity = session.identity
            session.activeRoles = try translating("SET ROLE") {
                try Self.roles(selection, of: identity, in: authorizer.access)
            }
        case .setDefaultRole(let selection, let users):
            if users != [session.identity] { try requireAdministration() }
            try change("SET DEFAULT ROLE") { access in
                for user in users {
                    try access.setDefaultRoles(Self.roles(selection, of: user, in: access), for: user)
                }
            }
        case .showGrants(let grantee):
            let subject = grantee ?? .user(session.identity)
            if subject != .user(session.identity) { try requireAdministration() }
            return try GrantsListing(access: authorizer.access).rows(for: subject)
        case .showUsers:
            try requireAdministration()
            return ResultSet.strings(["User"], authorizer.access.users.keys.sorted().map { [$0.description] })
        case .showRoles:
            try requireAdministration()
            let rows = authorizer.access.roles.sorted { $0.key < $1.key }.map { name, role -> [String?] in
                [name, role.builtin ? "true" : "false", role.builtin ? Self.builtinComments[name] : nil]
            }
            return ResultSet.strings(["Name", "Builtin", "Comment"], rows)
        case .showAuthentication(let user, let all):
            let subject = user ?? session.identity
            if all || subject != session.identity { try requireAdministration() }
            let users = all ? authorizer.access.users.keys.sorted() : [subject]
            let rows = try users.map { user -> [String?] in
                guard let password = authorizer.access.password(of: user) else {
                    throw SQLError(.userOperationFailed, "Operation SHOW AUTHENTICATION failed for \(user)")
                }
                return [user.description, password == nil ? "No" : "Yes", "MYSQL_NATIVE_PASSWORD", nil]
            }
            return ResultSet.strings(["UserIdentity", "Password", "AuthPlugin", "UserForAuthPlugin"], rows)
        }
        return nil
    }

    private func requireAdministration() throws {
        try authorizer.require(.grant, on: .system)
    }

    /// A statement's object with the session's database filled in; tables and databases must exist.
    private func resolve(_ target: PrivilegeTarget, _ session: Session) throws -> PrivilegeObject {
        switch target {
        case .table(let name):
            let database = try SQLExecutor.database(name, session)
            let table = try engine.table(database: database, name: name.name)
            return .table(database: database, name: table.name)
        case .allTables(let database):
            guard let db = database ?? session.database else {
                throw SQLError(.noDatabase, "No database selected: name it as ALL TABLES IN DATABASE db")
            }
            return .allTables(inDatabase: try engine.database(db).name)
        case .allTablesInAllDatabases: return .allTablesInAllDatabases
        case .database(let database):
            guard let db = database ?? session.database else { throw SQLError(.noDatabase, "No database selected") }
            return .database(try engine.database(db).name)
        case .allDatabases: return .allDatabases
        case .catalog: return .catalog
        case .system: return .system
        }
    }

    /// `ALL` (an empty set) as every privilege `object` takes.
    private static func expand(_ privileges: Set<Privilege>, _ object: PrivilegeObject) -> Set<Privilege> {
        privileges.isEmpty ? Set(Privilege.applicable(to: object.kind)) : privileges
    }

    /// What a password clause stores: the slow salted hash and the native one, or only the
    /// native hash when the statement gave a hash; nil for the empty password.
    private static func stored(_ password: PasswordSpec) throws -> StoredPassword? {
        switch password {
        case .plain(let text):
            guard !text.isEmpty else { return nil }
            guard text.utf8.count <= 1024 else {
                throw SQLError(.analysis, "A password may be at most 1024 bytes long")
            }
            return PasswordHashing.make(text)
        case .nativeHash(let hash):
            return StoredPassword(salt: [], rounds: 0, hash: [], native: hash)
        }
    }

    /// The roles `selection` names for `user`: each named role must be granted to them.
    static func roles(_ selection: RoleSelection, of user: UserIdentity, in access: AccessControl)
        throws(AccessControl.Failure) -> Set<String>
    {
        guard let record = access.users[user] else { throw .noSuchUser(user) }
        switch selection {
        case .all: return record.roles
        case .none: return []
        case .defaults: return record.defaultRoles
        case .allExcept(let excluded): return record.roles.subtracting(excluded)
        case .roles(let names):
            for name in names {
                guard access.roles[name] != nil else { throw .noSuchRole(name) }
                guard record.roles.contains(name) else { throw .roleNotGranted(name, user) }
            }
            return Set(names)
        }
    }

    private func change(_ operation: String, _ body: (inout AccessControl) throws -> Void) throws {
        try translating(operation) { try engine.changeAccess(body) }
    }

    /// Runs `body`, turning the model's failures into SQL errors with MySQL's wording
    /// (`Operation CREATE USER failed for 'jack'@'%'`, ERR 1396).
    private func translating<T>(_ operation: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as AccessControl.Failure {
            switch failure {
            case .userExists(let user):
                throw SQLError(
                    .userOperationFailed, "Operation \(operation) failed for \(user): the user already exists")
            case .noSuchUser(let user):
                throw SQLError(
                    .userOperationFailed, "Operation \(operation) failed for \(user): the user does not exist")
            case .roleExists, .noSuchRole:
                throw SQLError(.userOperationFailed, failure.message)
            default:
                throw SQLError(.analysis, failure.message)
            }
        }
    }

    static let builtinComments: [String: String] = [
        "root": "root role, has all privileges",
        "db_admin": "manages databases and tables",
        "user_admin": "manages users, roles and grants",
        "cluster_admin": "manages nodes",
        "public": "granted to every user",
    ]
}

/// A grantee's side of the model's changes: a user or a role alike.
extension AccessControl {
    fileprivate mutating func grant(_ grant: Grant, to grantee: Grantee) throws(Failure) {
        switch grantee {
        case .user(let user): try self.grant(grant, to: user)
        case .role(let role): try self.grant(grant, toRole: role)
        }
    }

    fileprivate mutating func revoke(_ privileges: Set<Privilege>, on object: PrivilegeObject, from grantee: Grantee)
        throws(Failure)
    {
        switch grantee {
        case .user(let user): try revoke(privileges, on: object, from: user)
        case .role(let role): try revoke(privileges, on: object, fromRole: role)
        }
    }

    fileprivate mutating func grantRole(_ role: String, to grantee: Grantee) throws(Failure) {
        switch grantee {
        case .user(let user): try grantRole(role, to: user)
        case .role(let target): try grantRole(role, toRole: target)
        }
    }

    fileprivate mutating func revokeRole(_ role: String, from grantee: Grantee) throws(Failure) {
        switch grantee {
        case .user(let user): try revokeRole(role, from: user)
        case .role(let target): try revokeRole(role, fromRole: target)
        }
    }
}
