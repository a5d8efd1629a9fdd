import SluiceFormat
import SluiceSQL
import SluiceStorage
import SluiceTesting
import Testing

/// SET, SELECT @@, SHOW VARIABLES, USE, KILL and the session functions MySQL clients send on
/// connect (spec mysql-protocol §4–§5).
@Suite struct SessionStatementTests {
    let harness: SQLHarness
    init() throws { harness = try SQLHarness() }

    /// Runs statements in one session (SET and USE carry over), returning each result's rows.
    func rows(_ statements: [String], session: inout Session) throws -> [[[String?]]] {
        try statements.map { sql in
            switch try harness.executor.execute(sql, session: &session) {
            case .rows(let result, _): return result.textRows
            case .ok: return []
            }
        }
    }

    @Test func connectorBootstrapVariablesAnswer() throws {
        var session = harness.session
        let select = """
            SELECT  @@session.auto_increment_increment AS auto_increment_increment, @@character_set_client AS \
            character_set_client, @@init_connect AS init_connect, @@license AS license, @@lower_case_table_names \
            AS lower_case_table_names, @@max_allowed_packet AS max_allowed_packet, @@transaction_isolation AS \
            transaction_isolation, @@tx_isolation AS tx_isolation, @@language AS language, @@query_cache_size \
            AS query_cache_size, @@performance_schema AS performance_schema, @@wait_timeout AS wait_timeout
            """
        let result = try rows([select], session: &session)[0]
        #expect(
            result == [
                [
                    "1", "utf8", "", "Apache License 2.0", "0", "33554432", "REPEATABLE-READ", "REPEATABLE-READ",
                    "/starrocks/share/english/", "1048576", "0", "28800",
                ]
            ])
    }

    @Test func setChangesTheSessionAndDefaultRestoresIt() throws {
        var session = harness.session
        let result = try rows(
            [
                "SET NAMES utf8mb4", "SET NAMES 'utf8mb4' COLLATE 'utf8mb4_general_ci'",
                "SET character_set_results = NULL", "SET autocommit=1", "SET @@session.autocommit = OFF",
                "SET sql_mode='STRICT_TRANS_TABLES'", "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
                "SET query_timeout = 7, @x = 41 + 1", "SELECT @@session.autocommit, @@sql_mode, @@query_timeout, @x",
                "SET query_timeout = DEFAULT", "SELECT @@query_timeout, @@session.transaction_read_only",
            ], session: &session)
        #expect(result[8] == [["0", "STRICT_TRANS_TABLES", "7", "42"]])
        #expect(result[10] == [["300", "0"]])
        #expect(session.queryTimeoutSeconds == 300)
    }

    @Test func timeZoneSteersTimeFunctions() throws {
        var session = harness.session
        let result = try rows(
            ["SET time_zone = '+08:00'", "SELECT @@time_zone, from_unixtime(0)"], session: &session)
        #expect(result[1] == [["+08:00", "1970-01-01 08:00:00"]])
        #expect(throws: SQLError.self) {
            try harness.executor.execute("SET time_zone = 'Mars/Base'", session: &session)
        }
    }

    @Test func unknownAndReadOnlyVariablesFailWithTheirCodes() throws {
        var session = harness.session
        for (sql, code) in [
            ("SELECT @@no_such_var", SQLError.Code.unknownVariable),
            ("SET no_such_var = 1", .unknownVariable),
            ("SET lower_case_table_names = 1", .readOnlyVariable),
            ("SET query_timeout = 'soon'", .wrongValue),
            ("SET query_timeout = 0", .wrongValue),
        ] {
            do {
                _ = try harness.executor.execute(sql, session: &session)
                Issue.record("\(sql) succeeded")
            } catch {
                #expect(error.code == code, "\(sql): \(error)")
            }
        }
        // Harmless MySQL variables tools set are accepted.
        _ = try harness.executor.execute("SET foreign_key_checks = 0", session: &session)
    }

    @Test func showVariablesFiltersByLikeAndWhere() throws {
        var session = harness.session
        let result = try rows(
            [
                "SHOW VARIABLES LIKE 'sql_mode'", "SHOW VARIABLES LIKE 'lower_case_table_names'",
                "SHOW SESSION VARIABLES WHERE Variable_name = 'protocol_version'", "SHOW GLOBAL VARIABLES LIKE 'auto%'",
            ], session: &session)
        #expect(result[0] == [["sql_mode", "ONLY_FULL_GROUP_BY"]])
        #expect(result[1] == [["lower_case_table_names", "0"]])
        #expect(result[2] == [["protocol_version", "10"]])
        #expect(result[3] == [["auto_increment_increment", "1"], ["autocommit", "true"]])
    }

    @Test func sessionFunctionsAndUse() throws {
        var session = harness.session
        for statement in [
            "CREATE DATABASE other", "CREATE USER jack", "GRANT CREATE TABLE ON DATABASE other TO jack",
            "GRANT SELECT ON ALL TABLES IN DATABASE db TO jack",
        ] {
            _ = try harness.executor.execute(statement, session: &session)
        }
        session.identity = UserIdentity("jack")
        session.activeRoles = []
        session.connectionID = 17
        let result = try rows(
            [
                "SELECT DATABASE(), USER(), CURRENT_USER(), CONNECTION_ID()", "USE other", "select database()",
                "SELECT VERSION(), CURRENT_VERSION()",
            ], session: &session)
        #expect(result[0] == [["db", "'jack'@'127.0.0.1'", "'jack'@'%'", "17"]])
        #expect(result[2] == [["other"]])
        #expect(result[3] == [["8.0.33", "3.5.0 sluice"]])
        #expect(throws: SQLError.self) { try harness.executor.execute("USE nope", session: &session) }
        #expect(session.database == "other")
    }

    @Test func columnNamesAreTheTextAsWritten() throws {
        var session = harness.session
        guard
            case .rows(let result, _) = try harness.executor.execute(
                "select @@version_comment limit 1", session: &session)
        else {
            Issue.record("no rows")
            return
        }
        #expect(result.columns.map(\.name) == ["@@version_comment"])
    }

    @Test func serverShowsHaveTheirColumns() throws {
        var session = harness.session
        for (sql, first) in [
            ("SHOW WARNINGS", "Level"), ("SHOW ERRORS", "Level"), ("SHOW COLLATION", "Collation"),
            ("SHOW CHARACTER SET", "Charset"), ("SHOW CHARSET", "Charset"), ("SHOW ENGINES", "Engine"),
            ("SHOW PLUGINS", "Name"), ("SHOW PRIVILEGES", "Privilege"), ("SHOW GLOBAL STATUS", "Variable_name"),
            ("SHOW FRONTENDS", "Name"), ("SHOW BACKENDS", "BackendId"), ("SHOW FULL PROCESSLIST", "ServerName"),
            ("ADMIN SHOW FRONTEND CONFIG LIKE 'run_mode'", "Key"), ("SHOW FULL TABLES", "Tables_in_db"),
        ] {
            guard case .rows(let result, _) = try harness.executor.execute(sql, session: &session) else {
                Issue.record("\(sql): no result set")
                continue
            }
            #expect(result.columns.first?.name == first, "\(sql)")
        }
        guard
            case .rows(let config, _) = try harness.executor.execute(
                "ADMIN SHOW FRONTEND CONFIG LIKE 'run_mode'", session: &session)
        else { return }
        #expect(config.textRows == [["run_mode", "[]", "shared_nothing", "String", "false", ""]])
        #expect(throws: SQLError.self) { try harness.executor.execute("KILL 99", session: &session) }
        for sql in ["BEGIN", "START TRANSACTION", "COMMIT", "ROLLBACK", "commit work"] {
            _ = try harness.executor.execute(sql, session: &session)
        }
    }

    @Test func scriptsSplitOnSemicolonsOutsideStringsAndComments() throws {
        #expect(
            try SQLExecutor.statements("SELECT 1; SELECT 'a;b' -- c;\n; /* ; */ SELECT 3;") == [
                "SELECT 1", " SELECT 'a;b' -- c;\n", " /* ; */ SELECT 3",
            ])
        for empty in ["", "  ", ";", "-- only a comment", "/* x */ ;"] {
            #expect(throws: SQLError.self) { try SQLExecutor.statements(empty) }
        }
    }

    @Test func literalsClientsSend() throws {
        #expect(
            try harness.run("SELECT X'616263', _binary'x\\'y', \"double\", 'it''s'") == [
                ["abc", "x'y", "double", "it's"]
            ])
    }
}
