/// StarRocks' privilege model (RBAC, 3.x) as values: who (`'user'@'host'`, roles), what
/// (privileges) on which object (table, database, catalog, system). Pure and `Codable`: the
/// metadata journal will hold it, so users and grants change atomically and survive restarts.

/// `'name'@'host'`; `'jack'` alone means `'jack'@'%'`.
package struct UserIdentity: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    package var name: String
    package var host: String

    package init(_ name: String, host: String = "%") {
        self.name = name
        self.host = host
    }

    package var description: String { "'\(name)'@'\(host)'" }

    /// Whether a connection from `clientHost` may log in as this identity (`%` matches any host).
    package func matches(clientHost: String) -> Bool { host == "%" || host == clientHost }

    package static func < (a: UserIdentity, b: UserIdentity) -> Bool { (a.name, a.host) < (b.name, b.host) }
}

/// A privilege, spelled as in GRANT.
package enum Privilege: String, Hashable, Sendable, Codable, CaseIterable, Comparable {
    // Tables.
    case select = "SELECT", insert = "INSERT", update = "UPDATE", delete = "DELETE", export = "EXPORT"
    // Tables and databases.
    case alter = "ALTER", drop = "DROP"
    // Databases.
    case createTable = "CREATE TABLE", createView = "CREATE VIEW", createPipe = "CREATE PIPE"
    case createFunction = "CREATE FUNCTION", createMaterializedView = "CREATE MATERIALIZED VIEW"
    // Catalog.
    case usage = "USAGE", createDatabase = "CREATE DATABASE"
    // System.
    case node = "NODE", grant = "GRANT", operate = "OPERATE", file = "FILE", plugin = "PLUGIN"
    case repository = "REPOSITORY", blacklist = "BLACKLIST", resource = "RESOURCE", security = "SECURITY"
    case createResourceGroup = "CREATE RESOURCE GROUP", createExternalCatalog = "CREATE EXTERNAL CATALOG"
    case createGlobalFunction = "CREATE GLOBAL FUNCTION"

    package static func < (a: Privilege, b: Privilege) -> Bool { a.rawValue < b.rawValue }

    /// The privileges an object kind takes (GRANT checks them; `ALL` expands to them).
    package static func applicable(to kind: PrivilegeObject.Kind) -> [Privilege] {
        switch kind {
        case .table: [.select, .insert, .update, .delete, .alter, .drop, .export]
        case .database:
            [.createTable, .createView, .createFunction, .createMaterializedView, .createPipe, .alter, .drop]
        case .catalog: [.usage, .createDatabase, .drop, .alter]
        case .system:
            [
                .node, .grant, .operate, .file, .plugin, .repository, .blacklist, .resource, .security,
                .createResourceGroup, .createExternalCatalog, .createGlobalFunction,
            ]
        }
    }
}

/// What a privilege is granted on. Wider objects cover narrower ones: `ALL TABLES IN DATABASE db`
/// covers every table of `db`, `ALL TABLES IN ALL DATABASES` every table.
package enum PrivilegeObject: Hashable, Sendable, Codable, CustomStringConvertible {
    case table(database: String, name: String)
    case allTables(inDatabase: String)
    case allTablesInAllDatabases
    case database(String)
    case allDatabases
    case catalog
    case system

    package enum Kind: Sendable { case table, database, catalog, system }

    package var kind: Kind {
        switch self {
        case .table, .allTables, .allTablesInAllDatabases: .table
        case .database, .allDatabases: .database
        case .catalog: .catalog
        case .system: .system
        }
    }

    /// Whether a grant on `self` covers `object`.
    package func covers(_ object: PrivilegeObject) -> Bool {
        switch (self, object) {
        case (.allTablesInAllDatabases, .table), (.allTablesInAllDatabases, .allTables): true
        case (.allTables(let db), .table(let other, _)): db == other
        case (.allDatabases, .database): true
        default: self == object
        }
    }

    /// As GRANT and SHOW GRANTS print it.
    package var description: String {
        switch self {
        case .table(let db, let name): "TABLE \(db).\(name)"
        case .allTables(let db): "ALL TABLES IN DATABASE \(db)"
        case .allTablesInAllDatabases: "ALL TABLES IN ALL DATABASES"
        case .database(let db): "DATABASE \(db)"
        case .allDatabases: "ALL DATABASES"
        case .catalog: "CATALOG default_catalog"
        case .system: "SYSTEM"
        }
    }

    /// As the denial message names it (`TABLE orders`, `DATABASE db`).
    var deniedName: String {
        switch self {
        case .table(_, let name): "TABLE \(name)"
        case .allTables(let db), .database(let db): "DATABASE \(db)"
        case .allTablesInAllDatabases, .allDatabases, .catalog: "CATALOG default_catalog"
        case .system: "SYSTEM"
        }
    }
}

/// A password as stored: never the password, only what checks it — a salted, slow PBKDF2-SHA256
/// hash for HTTP basic auth, and the `SHA1(SHA1(password))` MySQL's native authentication
/// compares scrambles against.
package struct StoredPassword: Hashable, Sendable, Codable {
    package var salt: [UInt8]
    package var rounds: Int
    package var hash: [UInt8]
    package var native: [UInt8]

    package init(salt: [UInt8], rounds: Int, hash: [UInt8], native: [UInt8]) {
        self.salt = salt
        self.rounds = rounds
        self.hash = hash
        self.native = native
    }
}

/// One GRANT: privileges on an object.
package struct Grant: Hashable, Sendable, Codable {
    package var privileges: Set<Privilege>
    package var object: PrivilegeObject
    package var withGrantOption = false

    package init(_ privileges: Set<Privilege>, on object: PrivilegeObject, withGrantOption: Bool = false) {
        self.privileges = privileges
        self.object = object
        self.withGrantOption = withGrantOption
    }
}
