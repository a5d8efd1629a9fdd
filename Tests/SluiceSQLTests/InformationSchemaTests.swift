import SluiceFormat
import SluiceSQL
import SluiceStorage
import SluiceTesting
import Testing

/// information_schema and the MySQL-shaped SHOW statements reflection tools read (spec
/// mysql-protocol §4.6–§4.11, §6, §7).
@Suite struct InformationSchemaTests {
    let harness: SQLHarness

    init() throws {
        harness = try SQLHarness()
        try harness.run(
            """
            CREATE TABLE t (id INT NOT NULL, name VARCHAR(32), score DECIMAL(10,2), ts DATETIME, ok BOOLEAN \
            COMMENT "flag") DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2
            """)
        try harness.run(
            """
            CREATE TABLE pk (k BIGINT NOT NULL, v LARGEINT, j JSON) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1 \
            PROPERTIES ("replication_num" = "1")
            """)
        try harness.run(
            "CREATE TABLE agg (d DATE NOT NULL, pv BIGINT SUM DEFAULT \"0\") AGGREGATE KEY(d) DISTRIBUTED BY HASH(d)")
        try harness.run("INSERT INTO t VALUES (1,'a',1.50,'2024-01-02 03:04:05',true), (2,'',NULL,NULL,false)")
    }

    @Test func databasesListTheSystemSchema() throws {
        #expect(try harness.run("SHOW DATABASES") == [["db"], ["information_schema"]])
        #expect(
            try harness.run("SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME FROM information_schema.schemata")
                == [["information_schema", "utf8"], ["db", "utf8"]])
    }

    @Test func tablesAreQueryableWithFiltersAndOrder() throws {
        #expect(
            try harness.run(
                "SELECT table_name, TABLE_TYPE, ENGINE, TABLE_ROWS FROM information_schema.TABLES WHERE table_schema = 'db' ORDER BY table_name"
            ) == [
                ["agg", "BASE TABLE", "StarRocks", "0"], ["pk", "BASE TABLE", "StarRocks", "0"],
                ["t", "BASE TABLE", "StarRocks", "2"],
            ])
        // DBeaver probes a system view's existence; Grafana lists schemas without system views.
        #expect(
            try harness.run(
                "SELECT * FROM information_schema.TABLES t WHERE t.TABLE_SCHEMA = 'information_schema' AND t.TABLE_NAME = 'check_constraints'"
            ).map { $0[3] } == ["SYSTEM VIEW"])
        #expect(
            try harness.run(
                "SELECT DISTINCT TABLE_SCHEMA from information_schema.TABLES where TABLE_TYPE != 'SYSTEM VIEW' ORDER BY TABLE_SCHEMA"
            ) == [["db"]])
    }

    @Test func columnsDescribeTypesAndKeysInMySQLTerms() throws {
        let rows = try harness.run(
            """
            SELECT COLUMN_NAME, ORDINAL_POSITION, IS_NULLABLE, DATA_TYPE, COLUMN_TYPE, COLUMN_KEY, COLUMN_SIZE, \
            DECIMAL_DIGITS, COLUMN_COMMENT FROM information_schema.columns WHERE table_schema = 'db' AND table_name = 't' \
            ORDER BY ORDINAL_POSITION
            """)
        #expect(
            rows == [
                ["id", "1", "NO", "int", "int(11)", "DUP", "10", "0", ""],
                ["name", "2", "YES", "varchar", "varchar(32)", "", "32", nil, ""],
                ["score", "3", "YES", "decimal", "decimal(10, 2)", "", "10", "2", ""],
                ["ts", "4", "YES", "datetime", "datetime", "", "19", nil, ""],
                ["ok", "5", "YES", "tinyint", "tinyint(1)", "", "1", "0", "flag"],
            ])
        #expect(
            try harness.run(
                "SELECT column_name, data_type, column_type, column_key FROM information_schema.columns WHERE table_name = 'pk' ORDER BY column_name"
            ) == [
                ["j", "json", "json", ""], ["k", "bigint", "bigint(20)", "PRI"],
                ["v", "bigint unsigned", "bigint(20) unsigned", ""],
            ])
        // Grafana's column query, ordered by name.
        #expect(
            try harness.run(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'db' AND table_name = 't' ORDER BY column_name"
            ).map { $0[0]! } == ["id", "name", "ok", "score", "ts"])
    }

    @Test func tablesConfigDescribesModelsAndDistribution() throws {
        let rows = try harness.run(
            """
            SELECT TABLE_NAME, TABLE_ENGINE, TABLE_MODEL, PRIMARY_KEY, DISTRIBUTE_KEY, DISTRIBUTE_TYPE, DISTRIBUTE_BUCKET, \
            PROPERTIES FROM information_schema.tables_config WHERE TABLE_SCHEMA = 'db' ORDER BY TABLE_NAME
            """)
        #expect(rows.map { $0[0]! } == ["agg", "pk", "t"])
        #expect(
            rows[1] == [
                "pk", "OLAP", "PRI_KEYS", "`k`", "`k`", "HASH", "1",
                #"{"enable_persistent_index":"true","replication_num":"1"}"#,
            ])
        #expect(rows[0][2] == "AGG_KEYS")
        #expect(rows[2][2] == "DUP_KEYS")
    }

    @Test func emptySystemViewsAnswerWithTheirColumns() throws {
        for sql in [
            "SELECT * FROM information_schema.views",
            "SELECT ROUTINE_NAME FROM INFORMATION_SCHEMA.ROUTINES WHERE ROUTINE_TYPE=\"FUNCTION\" AND ROUTINE_SCHEMA = 'db'",
            "SELECT DISTINCT TABLE_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = 'db' AND SEQ_IN_INDEX = 1 AND COLUMN_NAME IS NOT NULL ORDER BY TABLE_NAME, COLUMN_NAME",
            "SELECT TABLE_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = 'db' AND REFERENCED_TABLE_NAME IS NOT NULL",
            "SELECT * FROM information_schema.materialized_views WHERE table_schema = 'db'",
        ] {
            #expect(try harness.run(sql) == [], "\(sql)")
        }
        #expect(
            try harness.run(
                "SELECT COLLATION_NAME, ID FROM information_schema.collations WHERE CHARACTER_SET_NAME = 'utf8'")
                == [["utf8_general_ci", "33"]])
        #expect(harness.failure("SELECT * FROM information_schema.nope") == "Unknown table 'information_schema.nope'")
        #expect(harness.failure("SELECT * FROM mysql.user") == "Unknown database 'mysql'")
    }

    @Test func loadsListCommittedInserts() throws {
        let rows = try harness.run("SELECT TYPE, STATE, DB_NAME, TABLE_NAME, SINK_ROWS FROM information_schema.loads")
        #expect(rows == [["INSERT", "FINISHED", "db", "t", "2"]])
    }

    @Test func useAndShowTablesReachTheSystemSchema() throws {
        var session = harness.session
        _ = try harness.executor.execute("USE information_schema", session: &session)
        guard
            case .rows(let result, _) = try harness.executor.execute(
                "SHOW FULL TABLES LIKE 'tables%'", session: &session)
        else { Issue.record("no rows"); return }
        #expect(result.textRows == [["tables", "SYSTEM VIEW"], ["tables_config", "SYSTEM VIEW"]])
        guard case .rows(let columns, _) = try harness.executor.execute("DESC schemata", session: &session) else {
            Issue.record("no rows")
            return
        }
        #expect(columns.textRows.map { $0[0]! }.first == "CATALOG_NAME")
    }

    @Test func showColumnsTableStatusAndIndexHaveMySQLShapes() throws {
        let full = try harness.executor.execute("SHOW FULL COLUMNS FROM agg", session: harness.session)
        guard case .rows(let result, _) = full else { Issue.record("no rows"); return }
        #expect(
            result.columns.map(\.name) == [
                "Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment",
            ])
        #expect(
            result.textRows == [
                ["d", "date", "", "NO", "YES", nil, "", "", ""], ["pv", "bigint", "", "YES", "NO", "0", "SUM", "", ""],
            ])
        #expect(
            try harness.run("SHOW COLUMNS FROM t FROM db LIKE 'n%'") == [["name", "varchar(32)", "YES", "NO", nil, ""]])
        let status = try harness.run("SHOW TABLE STATUS FROM db LIKE 't'")
        #expect(status.count == 1)
        #expect(status.first?.count == 18)
        #expect(status.first?[1] == "StarRocks")
        #expect(status.first?[4] == "2")
        #expect(try harness.run("SHOW INDEX FROM t") == [])
        #expect(harness.failure("SHOW INDEX FROM nope") != nil)
    }
}

/// `enable_insert_strict` (spec §3.13, scenario 33).
@Suite struct InsertStrictModeTests {
    @Test func nonStrictInsertsFilterTheRowsThatDoNotFit() throws {
        let harness = try SQLHarness()
        var session = harness.session
        _ = try harness.executor.execute(
            "CREATE TABLE s (id INT NOT NULL, name VARCHAR(4)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id)",
            session: &session)
        let insert = "INSERT INTO s VALUES (1, 'ok'), (2, 'much too long'), ('x', 'bad'), (4, 'fine')"
        #expect(throws: SQLError.self) { try harness.executor.execute(insert, session: &session) }
        #expect(try harness.run("SELECT count(*) FROM s") == [["0"]])
        _ = try harness.executor.execute("SET enable_insert_strict = false", session: &session)
        guard case .ok(let statistics) = try harness.executor.execute(insert, session: &session) else {
            Issue.record("INSERT returned rows")
            return
        }
        #expect(statistics.affectedRows == 2)
        #expect(statistics.dml?.filteredRows == 2)
        #expect(try harness.run("SELECT id, name FROM s ORDER BY id") == [["1", "ok"], ["4", "fine"]])
        // Every row filtered: nothing commits, the statement still succeeds.
        guard
            case .ok(let none) = try harness.executor.execute(
                "INSERT INTO s VALUES (5, 'way too long')", session: &session)
        else { return }
        #expect(none.affectedRows == 0 && none.dml?.filteredRows == 1)
    }
}
