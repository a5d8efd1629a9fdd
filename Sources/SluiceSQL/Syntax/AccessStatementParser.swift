import SluiceExpr
import SluiceStorage

/// CREATE/ALTER/DROP USER, CREATE/DROP ROLE, GRANT, REVOKE, SET PASSWORD/ROLE/DEFAULT ROLE and
/// SHOW GRANTS/USERS/ROLES/AUTHENTICATION, in StarRocks' spellings (spec mysql-protocol §8).
enum AccessStatementParser {
    /// The statement at `s` when it is one of these, else nil (nothing consumed).
    static func parse(_ s: inout TokenStream) throws(ExprError) -> Statement? {
        let start = s.index
        if s.accept("CREATE") {
            if s.accept("USER") { return .access(try createUser(&s)) }
            if s.accept("ROLE") {
                let ifNotExists = try SQLParser.ifNotExistsClause(&s)
                return .access(.createRole(try role(&s), ifNotExists: ifNotExists))
            }
        } else if s.accept("DROP") {
            if s.accept("USER") {
                let ifExists = try SQLParser.ifExistsClause(&s)
                return .access(.dropUser(try identity(&s), ifExists: ifExists))
            }
            if s.accept("ROLE") {
                let ifExists = try SQLParser.ifExistsClause(&s)
                return .access(.dropRole(try role(&s), ifExists: ifExists))
            }
        } else if s.accept("ALTER") {
            if s.accept("USER") { return .access(try alterUser(&s)) }
        } else if s.accept("GRANT") {
            return .access(try grant(&s))
        } else if s.accept("REVOKE") {
            return .access(try revoke(&s))
        } else if s.accept("SET") {
            if s.accept("PASSWORD") { return .access(try setPassword(&s)) }
            if s.accept("ROLE") { return .access(.setRole(try roleSelection(&s, allowDefault: true))) }
            if s.current.isKeyword("DEFAULT"), s.peek().isKeyword("ROLE") {
                s.advance()
                s.advance()
                let selection = try roleSelection(&s, allowDefault: false)
                try s.expect("TO")
                return .access(.setDefaultRole(selection, to: try identities(&s)))
            }
        } else if s.accept("SHOW") {
            if let statement = try show(&s) { return .access(statement) }
        }
        s.index = start
        return nil
    }

    private static func createUser(_ s: inout TokenStream) throws(ExprError) -> AccessStatement {
        let ifNotExists = try SQLParser.ifNotExistsClause(&s)
        let user = try identity(&s)
        let password = try identifiedClause(&s)
        var defaults = [String]()
        if s.accept("DEFAULT") {
            try s.expect("ROLE")
            defaults = try roles(&s)
        }
        return .createUser(user, ifNotExists: ifNotExists, password: password, defaultRoles: defaults)
    }

    private static func alterUser(_ s: inout TokenStream) throws(ExprError) -> AccessStatement {
        let ifExists = try SQLParser.ifExistsClause(&s)
        let user = try identity(&s)
        let password = try identifiedClause(&s)
        var defaults: RoleSelection?
        if s.accept("DEFAULT") {
            try s.expect("ROLE")
            defaults = try roleSelection(&s, allowDefault: false)
        }
        guard password != nil || defaults != nil else { throw s.unexpected(expecting: "IDENTIFIED or DEFAULT ROLE") }
        return .alterUser(user, ifExists: ifExists, password: password, defaultRoles: defaults)
    }

    /// `IDENTIFIED BY 'pw' | BY PASSWORD '*hash' | WITH mysql_native_password [BY 'pw' | AS '*hash']`.
    private static func identifiedClause(_ s: inout TokenStream) throws(ExprError) -> PasswordSpec? {
        guard s.accept("IDENTIFIED") else { return nil }
        if s.accept("WITH") {
            let pluginAt = s.current.offset
            let plugin = try name(&s, "authentication plugin")
            guard plugin.lowercased() == "mysql_native_password" else {
                throw ExprError(
                    .syntax,
                    "Unsupported authentication plugin '\(plugin)': Sluice supports mysql_native_password "
                        + "(IDENTIFIED BY 'password')", position: pluginAt)
            }
            if s.accept("AS") { return try nativeHash(&s) }
            guard s.accept("BY") else { return .plain("") }
            return .plain(try s.stringLiteral("password"))
        }
        try s.expect("BY")
        if s.accept("PASSWORD") { return try nativeHash(&s) }
        return .plain(try s.stringLiteral("password"))
    }

    /// `'*' + 40 hex digits` (MySQL's 4.1 hash), as SHOW GRANTS of MySQL prints it.
    private static func nativeHash(_ s: inout TokenStream) throws(ExprError) -> PasswordSpec {
        let at = s.current.offset
        let text = try s.stringLiteral("password hash")
        if text.isEmpty { return .plain("") }
        let digits = Array(text.utf8.dropFirst())
        guard text.first == "*", digits.count == 40,
            let bytes = Optional(stride(from: 0, to: 40, by: 2).compactMap { UInt8(hex: digits[$0], digits[$0 + 1]) }),
            bytes.count == 20
        else {
            throw ExprError(
                .syntax, "Password hash should be a 41-digit hexadecimal number starting with '*'", position: at)
        }
        return .nativeHash(bytes)
    }

    private static func setPassword(_ s: inout TokenStream) throws(ExprError) -> AccessStatement {
        var user: UserIdentity?
        if s.accept("FOR") { user = try identity(&s) }
        try s.expectSymbol("=")
        if s.accept("PASSWORD") {
            try s.expectSymbol("(")
            let password = try s.stringLiteral("password")
            try s.expectSymbol(")")
            return .setPassword(user, .plain(password))
        }
        return .setPassword(user, try nativeHash(&s))
    }

    private static func grant(_ s: inout TokenStream) throws(ExprError) -> AccessStatement {
        if try grantsPrivileges(s) {
            let privileges = try privilegeList(&s)
            try s.expect("ON")
            let target = try target(&s)
            try s.expect("TO")
            let grantee = try grantee(&s)
            var withGrantOption = false
            if s.accept("WITH") {
                try s.expect("GRANT")
                try s.expect("OPTION")
                withGrantOption = true
            }
            return .grant(privileges, on: target, to: grantee, withGrantOption: withGrantOption)
        }
        let names = try roles(&s)
        try s.expect("TO")
        return .grantRoles(names, to: try grantee(&s))
    }

    private static func revoke(_ s: inout TokenStream) throws(ExprError) -> AccessStatement {
        if try grantsPrivileges(s) {
            let privileges = try privilegeList(&s)
            try s.expect("ON")
            let target = try target(&s)
            try s.expect("FROM")
            return .revoke(privileges, on: target, from: try grantee(&s))
        }
        let names = try roles(&s)
        try s.expect("FROM")
        return .revokeRoles(names, from: try grantee(&s))
    }

    /// Whether the GRANT/REVOKE at `s` is about privileges (`… ON …`) rather than roles (`… TO`).
    private static func grantsPrivileges(_ s: TokenStream) throws(ExprError) -> Bool {
        var probe = s
        while !probe.atEnd {
            if probe.current.isKeyword("ON") { return true }
            if probe.current.isKeyword("TO") || probe.current.isKeyword("FROM") { return false }
            probe.advance()
        }
        throw probe.unexpected(expecting: "ON, TO or FROM")
    }

    /// `SELECT, INSERT`, `CREATE TABLE`, `ALL [PRIVILEGES]` (nil set = ALL, expanded per object).
    private static func privilegeList(_ s: inout TokenStream) throws(ExprError) -> Set<Privilege> {
        if s.accept("ALL") {
            _ = s.accept("PRIVILEGES")
            return []
        }
        var privileges = Set<Privilege>()
        repeat {
            let at = s.current.offset
            var words = [try name(&s, "privilege").uppercased()]
            while case .word(let next) = s.current.kind, isPrefix(words + [next.uppercased()]) {
                words.append(next.uppercased())
                s.advance()
            }
            let spelled = words.joined(separator: " ")
            guard let privilege = Privilege(rawValue: spelled) else {
                throw ExprError(
                    .syntax,
                    "Unknown privilege '\(spelled)'; privileges are "
                        + Privilege.allCases.map(\.rawValue).joined(separator: ", "), position: at)
            }
            privileges.insert(privilege)
        } while s.acceptSymbol(",")
        return privileges
    }

    /// Whether `words` begin some privilege's name (`CREATE` begins several; `DROP ON` none).
    private static func isPrefix(_ words: [String]) -> Bool {
        let prefix = words.joined(separator: " ")
        return Privilege.allCases.contains { $0.rawValue == prefix || $0.rawValue.hasPrefix(prefix + " ") }
    }

    /// What follows ON.
    private static func target(_ s: inout TokenStream) throws(ExprError) -> PrivilegeTarget {
        if s.accept("TABLE") { return .table(try SQLParser.qualifiedName(&s)) }
        if s.accept("DATABASE") { return .database(try s.identifier("database name")) }
        if s.accept("SYSTEM") { return .system }
        if s.accept("CATALOG") {
            let at = s.current.offset
            let catalog = try s.identifier("catalog name")
            guard catalog == "default_catalog" else {
                throw ExprError(.syntax, "Unknown catalog '\(catalog)'", position: at)
            }
            return .catalog
        }
        if s.accept("ALL") {
            if s.accept("DATABASES") { return .allDatabases }
            try s.expect("TABLES")
            try s.expect("IN")
            if s.accept("ALL") {
                try s.expect("DATABASES")
                return .allTablesInAllDatabases
            }
            try s.expect("DATABASE")
            return .allTables(inDatabase: try s.identifier("database name"))
        }
        for kind in ["VIEW", "VIEWS", "MATERIALIZED", "FUNCTION", "FUNCTIONS", "RESOURCE", "PIPE", "WAREHOUSE"]
        where s.current.isKeyword(kind) {
            throw ExprError(
                .syntax, "GRANT on \(kind) is not supported: Sluice grants on TABLE, DATABASE, CATALOG and SYSTEM",
                position: s.current.offset)
        }
        // MySQL's forms: `*.*`, `db.*`, `db.t`, `t`.
        if s.acceptSymbol("*") {
            try s.expectSymbol(".")
            try s.expectSymbol("*")
            return .allTablesInAllDatabases
        }
        let first = try s.identifier("table name")
        guard s.acceptSymbol(".") else { return .table(QualifiedName(name: first)) }
        if s.acceptSymbol("*") { return .allTables(inDatabase: first) }
        return .table(QualifiedName(database: first, name: try s.identifier("table name")))
    }

    private static func grantee(_ s: inout TokenStream) throws(ExprError) -> Grantee {
        if s.accept("ROLE") { return .role(try role(&s)) }
        _ = s.accept("USER")
        return .user(try identity(&s))
    }

    /// `'jack'@'%'`, `jack@'10.0.0.1'`, `'jack'` (= `'jack'@'%'`).
    static func identity(_ s: inout TokenStream) throws(ExprError) -> UserIdentity {
        let user = try name(&s, "user name")
        guard s.acceptSymbol("@") else { return UserIdentity(user) }
        return UserIdentity(user, host: try name(&s, "host"))
    }

    private static func identities(_ s: inout TokenStream) throws(ExprError) -> [UserIdentity] {
        var users = [UserIdentity]()
        repeat { users.append(try identity(&s)) } while s.acceptSymbol(",")
        return users
    }

    private static func role(_ s: inout TokenStream) throws(ExprError) -> String { try name(&s, "role name") }

    private static func roles(_ s: inout TokenStream) throws(ExprError) -> [String] {
        var names = [String]()
        repeat { names.append(try role(&s)) } while s.acceptSymbol(",")
        return names
    }

    private static func roleSelection(_ s: inout TokenStream, allowDefault: Bool) throws(ExprError) -> RoleSelection {
        if s.accept("ALL") {
            guard s.accept("EXCEPT") else { return .all }
            return .allExcept(try roles(&s))
        }
        if s.accept("NONE") { return .none }
        if allowDefault, s.accept("DEFAULT") { return .defaults }
        return .roles(try roles(&s))
    }

    private static func show(_ s: inout TokenStream) throws(ExprError) -> AccessStatement? {
        if s.accept("GRANTS") {
            guard s.accept("FOR") else { return .showGrants(nil) }
            if s.accept("ROLE") { return .showGrants(.role(try role(&s))) }
            return .showGrants(.user(try identity(&s)))
        }
        if s.accept("USERS") { return .showUsers }
        if s.accept("ROLES") { return .showRoles }
        if s.accept("AUTHENTICATION") {
            return .showAuthentication(s.accept("FOR") ? try identity(&s) : nil, all: false)
        }
        if s.current.isKeyword("ALL"), s.peek().isKeyword("AUTHENTICATION") {
            s.advance()
            s.advance()
            return .showAuthentication(nil, all: true)
        }
        return nil
    }

    /// A name given as a word, a backquoted identifier or a string.
    private static func name(_ s: inout TokenStream, _ what: String) throws(ExprError) -> String {
        if case .string(let text) = s.current.kind {
            s.advance()
            return text
        }
        return try s.identifier(what)
    }
}

extension UInt8 {
    /// The byte two hex digits spell, nil when they are not hex digits.
    fileprivate init?(hex high: UInt8, _ low: UInt8) {
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 48...57: digit - 48
            case 65...70: digit - 55
            case 97...102: digit - 87
            default: nil
            }
        }
        guard let h = value(high), let l = value(low) else { return nil }
        self = h << 4 | l
    }
}
