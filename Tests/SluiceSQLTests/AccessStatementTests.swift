import SluiceFormat
import SluiceSQL
import SluiceStorage
import SluiceTesting
import Testing

/// Users, roles and grants over SQL (spec mysql-protocol §8) and what each statement needs: the
/// statements parse in StarRocks' spellings, change the journaled state, and every denial carries
/// StarRocks' text.
@Suite struct AccessStatementTests {
    let harness: SQLHarness
    init() throws {
        harness = try SQLHarness()
        for sql in [
            "CREATE TABLE db.t (id INT, v INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            "CREATE TABLE db.u (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            "CREATE DATABASE other",
            "CREATE TABLE other.x (id INT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            "INSERT INTO db.t VALUES (1, 10)",
        ] {
            try harness.run(sql)
        }
    }

    /// A session logged in as `user` with its default roles.
    func session(_ user: String) -> Session {
        var session = harness.session
        session.identity = UserIdentity(user)
        session.activeRoles = harness.engine.access.loginRoles(UserIdentity(user), activateAll: false)
        return session
    }

    func run(_ sql: String, as session: inout Session) throws -> [[String?]] {
        switch try harness.executor.execute(sql, session: &session) {
        case .rows(let result, _): return result.textRows
        case .ok: return []
        }
    }

    func failure(_ sql: String, as session: Session) -> SQLError? {
        var session = session
        do {
            _ = try run(sql, as: &session)
            return nil
        } catch {
            return error as? SQLError
        }
    }

    @Test func statementsParseInStarRocksSpellings() throws {
        let cases: [(String, AccessStatement)] = [
            (
                "CREATE USER IF NOT EXISTS 'jack'@'%' IDENTIFIED BY 'pw' DEFAULT ROLE 'r1', r2",
                .createUser(
                    UserIdentity("jack"), ifNotExists: true, password: .plain("pw"), defaultRoles: ["r1", "r2"])
            ),
            (
                "create user jack@'10.0.0.1' identified with mysql_native_password as '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'",
                .createUser(
                    UserIdentity("jack", host: "10.0.0.1"), ifNotExists: false,
                    password: .nativeHash(PasswordHashing.native("123456")), defaultRoles: [])
            ),
            ("DROP USER IF EXISTS 'jack'", .dropUser(UserIdentity("jack"), ifExists: true)),
            (
                "ALTER USER jack DEFAULT ROLE ALL",
                .alterUser(UserIdentity("jack"), ifExists: false, password: nil, defaultRoles: .all)
            ),
            ("SET PASSWORD = PASSWORD('x')", .setPassword(nil, .plain("x"))),
            ("SET PASSWORD FOR 'jack'@'%' = PASSWORD('x')", .setPassword(UserIdentity("jack"), .plain("x"))),
            ("CREATE ROLE IF NOT EXISTS loader", .createRole("loader", ifNotExists: true)),
            ("DROP ROLE loader", .dropRole("loader", ifExists: false)),
            (
                "GRANT SELECT, INSERT ON TABLE demo.t TO USER 'jack'@'%' WITH GRANT OPTION",
                .grant(
                    [.select, .insert], on: .table(QualifiedName(database: "demo", name: "t")),
                    to: .user(UserIdentity("jack")), withGrantOption: true)
            ),
            (
                "GRANT CREATE TABLE, DROP ON DATABASE demo TO ROLE loader",
                .grant([.createTable, .drop], on: .database("demo"), to: .role("loader"), withGrantOption: false)
            ),
            (
                "GRANT ALL ON ALL TABLES IN DATABASE demo TO jack",
                .grant([], on: .allTables(inDatabase: "demo"), to: .user(UserIdentity("jack")), withGrantOption: false)
            ),
            (
                "GRANT SELECT ON *.* TO jack",
                .grant([.select], on: .allTablesInAllDatabases, to: .user(UserIdentity("jack")), withGrantOption: false)
            ),
            (
                "REVOKE INSERT ON demo.* FROM ROLE loader",
                .revoke([.insert], on: .allTables(inDatabase: "demo"), from: .role("loader"))
            ),
            ("GRANT loader, r2 TO USER jack", .grantRoles(["loader", "r2"], to: .user(UserIdentity("jack")))),
            ("GRANT loader TO ROLE r2", .grantRoles(["loader"], to: .role("r2"))),
            ("REVOKE loader FROM jack", .revokeRoles(["loader"], from: .user(UserIdentity("jack")))),
            ("SET ROLE loader, r2", .setRole(.roles(["loader", "r2"]))),
            ("SET ROLE ALL EXCEPT r2", .setRole(.allExcept(["r2"]))),
            ("SET ROLE DEFAULT", .setRole(.defaults)),
            ("SET DEFAULT ROLE loader TO 'jack'@'%'", .setDefaultRole(.roles(["loader"]), to: [UserIdentity("jack")])),
            ("SET DEFAULT ROLE NONE TO jack", .setDefaultRole(.none, to: [UserIdentity("jack")])),
            ("SHOW GRANTS", .showGrants(nil)),
            ("SHOW GRANTS FOR ROLE loader", .showGrants(.role("loader"))),
            ("SHOW ALL AUTHENTICATION", .showAuthentication(nil, all: true)),
        ]
        for (sql, expected) in cases {
            guard case .access(let parsed) = try SQLParser.parse(sql) else {
                Issue.record("\(sql) did not parse as an access statement")
                continue
            }
            #expect(parsed == expected, "\(sql)")
        }
        // The rest of SET still parses as before.
        guard case .set = try SQLParser.parse("SET @x = 1") else { throw SQLError(.syntax, "SET @x") }
        for (sql, message) in [
            ("GRANT FLY ON TABLE t TO jack", "Unknown privilege 'FLY'"),
            ("CREATE USER jack IDENTIFIED WITH authentication_ldap_simple", "Unsupported authentication plugin"),
            ("CREATE USER jack IDENTIFIED BY PASSWORD 'abc'", "Password hash should be a 41-digit"),
            ("GRANT SELECT ON VIEW v TO jack", "GRANT on VIEW is not supported"),
        ] {
            #expect(throws: SQLError.self) { try SQLParser.parse(sql) }
            #expect((try? SQLParser.parse(sql)) == nil)
            do {
                _ = try SQLParser.parse(sql)
            } catch {
                #expect(error.message.contains(message), "\(sql): \(error.message)")
            }
        }
    }

    /// Spec scenario 48 in process: SELECT granted, INSERT denied with StarRocks' text.
    @Test func grantsDecideAndDenialsUseStarRocksText() throws {
        try harness.run("CREATE USER 'jack'@'%'")
        try harness.run("GRANT SELECT ON TABLE db.t TO USER 'jack'@'%'")
        var jack = session("jack")
        #expect(try run("SELECT v FROM t", as: &jack) == [["10"]])
        let denied = try #require(failure("INSERT INTO t VALUES (2, 20)", as: jack))
        #expect(denied.code == .accessDenied)
        #expect(
            denied.message
                == "Access denied; you need (at least one of) the INSERT privilege(s) on TABLE t for this operation. Please ask the admin to grant permission(s) or try activating existing roles using <set [default] role>. Current role(s): NONE. Inactivated role(s): NONE."
        )
        #expect(
            failure("SELECT * FROM u", as: jack)?.message.hasPrefix(
                "Access denied; you need (at least one of) the SELECT") == true)
        #expect(failure("DELETE FROM t WHERE id = 1", as: jack)?.code == .accessDenied)
        #expect(failure("CREATE TABLE t2 (id INT) DISTRIBUTED BY HASH(id) BUCKETS 1", as: jack)?.code == .accessDenied)
        #expect(failure("CREATE DATABASE mine", as: jack)?.code == .accessDenied)
        #expect(failure("DROP TABLE t", as: jack)?.code == .accessDenied)
        #expect(failure("CREATE USER eve", as: jack)?.message.contains("GRANT privilege(s) on SYSTEM") == true)
        #expect(failure("SET GLOBAL query_timeout = 10", as: jack)?.code == .accessDenied)
        #expect(failure("DESC other.x", as: jack)?.message.contains("the ANY privilege(s) on TABLE x") == true)
        #expect(failure("USE other", as: jack)?.message.contains("the ANY privilege(s) on DATABASE other") == true)
        // information_schema is everyone's, filtered to what the user may see.
        #expect(try run("SHOW DATABASES", as: &jack) == [["db"], ["information_schema"]])
        #expect(try run("SHOW TABLES FROM db", as: &jack) == [["t"]])
        #expect(
            try run(
                "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.tables WHERE TABLE_TYPE = 'BASE TABLE'",
                as: &jack)
                == [["db", "t"]])
        let columns = "SELECT DISTINCT TABLE_SCHEMA, TABLE_NAME FROM information_schema.columns"
        #expect(try run(columns + " WHERE TABLE_SCHEMA <> 'information_schema'", as: &jack) == [["db", "t"]])
        #expect(
            try run("SHOW GRANTS", as: &jack) == [
                ["'jack'@'%'", "default_catalog", "GRANT SELECT ON TABLE db.t TO USER 'jack'@'%'"]
            ])
        // More grants on the same object merge into one line; REVOKE takes them back.
        try harness.run("GRANT INSERT ON db.t TO jack")
        #expect(try run("INSERT INTO t VALUES (2, 20)", as: &jack) == [])
        #expect(
            try harness.run("SHOW GRANTS FOR jack")
                == [["'jack'@'%'", "default_catalog", "GRANT INSERT, SELECT ON TABLE db.t TO USER 'jack'@'%'"]])
        try harness.run("REVOKE INSERT ON TABLE db.t FROM jack")
        #expect(failure("INSERT INTO t VALUES (3, 30)", as: jack)?.code == .accessDenied)
        // Root sees everything; a grant on a table that does not exist is refused.
        #expect(harness.failure("GRANT SELECT ON TABLE db.nope TO jack") != nil)
        #expect(
            harness.failure("GRANT SELECT ON TABLE db.t TO nobody")?.contains("Operation GRANT failed for 'nobody'@'%'")
                == true)
    }

    /// Spec scenario 49 in process: a role counts only once active; default roles at login.
    @Test func rolesActivateWithSetRoleAndDefaultRole() throws {
        for sql in [
            "CREATE USER jack", "CREATE ROLE loader", "GRANT INSERT ON TABLE db.t TO ROLE loader",
            "GRANT loader TO USER 'jack'@'%'",
        ] {
            try harness.run(sql)
        }
        var jack = session("jack")
        let inactive = try #require(failure("INSERT INTO t VALUES (5, 50)", as: jack))
        #expect(inactive.message.hasSuffix("Current role(s): NONE. Inactivated role(s): loader."))
        #expect(try run("SELECT CURRENT_ROLE()", as: &jack) == [["NONE"]])
        _ = try run("SET ROLE loader", as: &jack)
        #expect(try run("SELECT CURRENT_ROLE()", as: &jack) == [["loader"]])
        #expect(try run("INSERT INTO t VALUES (5, 50)", as: &jack) == [])
        #expect(failure("SET ROLE root", as: jack)?.message == "Role root is not granted to 'jack'@'%'")
        try harness.run("SET DEFAULT ROLE loader TO 'jack'@'%'")
        var fresh = session("jack")
        #expect(try run("SELECT CURRENT_ROLE()", as: &fresh) == [["loader"]])
        #expect(try run("INSERT INTO t VALUES (6, 60)", as: &fresh) == [])
        #expect(
            try harness.run("SHOW GRANTS FOR jack") == [["'jack'@'%'", nil, "GRANT 'loader' TO 'jack'@'%'"]])
        #expect(
            try harness.run("SHOW GRANTS FOR ROLE loader")
                == [["loader", "default_catalog", "GRANT INSERT ON TABLE db.t TO ROLE 'loader'"]])
        // A role inherits what is granted to it; dropping a role takes it from everyone.
        try harness.run("CREATE ROLE reader")
        try harness.run("GRANT SELECT ON ALL TABLES IN DATABASE other TO ROLE reader")
        try harness.run("GRANT reader TO ROLE loader")
        #expect(try run("SELECT COUNT(*) FROM other.x", as: &fresh) == [["0"]])
        #expect(harness.failure("GRANT loader TO ROLE reader")?.contains("would inherit itself") == true)
        try harness.run("DROP ROLE loader")
        #expect(failure("INSERT INTO t VALUES (7, 70)", as: session("jack"))?.code == .accessDenied)
        #expect(harness.failure("DROP ROLE root") == "root is a built-in role and cannot be changed or dropped")
        let roles = try harness.run("SHOW ROLES").map { $0[0] ?? "" }
        #expect(roles == ["cluster_admin", "db_admin", "public", "reader", "root", "user_admin"])
    }

    @Test func usersAndPasswordsAreManagedAndShown() throws {
        try harness.run("CREATE USER jack IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'")
        #expect(
            harness.failure("CREATE USER jack")
                == "Operation CREATE USER failed for 'jack'@'%': the user already exists")
        try harness.run("CREATE USER IF NOT EXISTS jack")
        #expect(
            harness.failure("DROP USER nobody")
                == "Operation DROP USER failed for 'nobody'@'%': the user does not exist")
        #expect(harness.failure("DROP USER root")?.contains("root cannot be dropped") == true)
        let logins = Logins(engine: harness.engine)
        #expect(logins.nativeCredential(user: "jack", clientHost: "1.2.3.4") == PasswordHashing.native("123456"))
        #expect(
            logins.verify(user: "jack", password: "123456", clientHost: "1.2.3.4")?.identity == UserIdentity("jack"))
        #expect(logins.verify(user: "jack", password: "wrong", clientHost: "1.2.3.4") == nil)
        #expect(try harness.run("SHOW USERS") == [["'jack'@'%'"], ["'root'@'%'"]])
        #expect(
            try harness.run("SHOW AUTHENTICATION FOR jack")
                == [["'jack'@'%'", "Yes", "MYSQL_NATIVE_PASSWORD", nil]])
        // A user changes their own password; not another's.
        var jack = session("jack")
        _ = try run("SET PASSWORD = PASSWORD('')", as: &jack)
        #expect(logins.nativeCredential(user: "jack", clientHost: "1.2.3.4") == [])
        #expect(failure("SET PASSWORD FOR root = PASSWORD('x')", as: jack)?.code == .accessDenied)
        #expect(failure("SHOW GRANTS FOR root", as: jack)?.code == .accessDenied)
        // Host-specific identities win over '%' for their host.
        try harness.run("CREATE USER 'jack'@'10.0.0.9'")
        #expect(
            harness.engine.access.identity(named: "jack", clientHost: "10.0.0.9")
                == UserIdentity("jack", host: "10.0.0.9"))
        #expect(harness.engine.access.identity(named: "jack", clientHost: "10.0.0.8") == UserIdentity("jack"))
        try harness.run("DROP USER jack")
        #expect(logins.nativeCredential(user: "jack", clientHost: "1.2.3.4") == nil)
        #expect(try harness.run("SELECT CURRENT_USER(), CURRENT_ROLE()") == [["'root'@'%'", "root"]])
    }
}
