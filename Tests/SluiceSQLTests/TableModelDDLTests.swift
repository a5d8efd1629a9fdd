import SluiceSQL
import Testing

/// Key models in DDL and metadata (spec table-models §1, §4, §5.2–5.3, acceptance "DDL and
/// metadata" 1–8): validation messages, DESC, SHOW CREATE TABLE.
@Suite struct TableModelDDLTests {
    static let pk1 = """
        CREATE TABLE pk1 (
            id INT NOT NULL, name VARCHAR(64), score INT NOT NULL DEFAULT "0", version INT)
        PRIMARY KEY (id) DISTRIBUTED BY HASH(id) BUCKETS 1
        """

    @Test func primaryKeyDescribeAndShowCreate() throws {
        let h = try SQLHarness()
        try h.run(Self.pk1)
        let desc = try h.run("DESC pk1")
        #expect(
            desc == [
                ["id", "int", "NO", "true", nil, ""], ["name", "varchar(64)", "YES", "false", nil, ""],
                ["score", "int", "NO", "false", "0", ""], ["version", "int", "YES", "false", nil, ""],
            ])
        let create = try #require(try h.run("SHOW CREATE TABLE pk1").first?[1])
        let lines = create.split(separator: "\n").map(String.init)
        #expect(lines.contains("  `id` int(11) NOT NULL COMMENT \"\","))
        #expect(lines.contains("PRIMARY KEY(`id`)"))
        #expect(lines.contains("DISTRIBUTED BY HASH(`id`) BUCKETS 1 "))
        #expect(lines.contains(") ENGINE=OLAP "))
        #expect(!create.contains("REPLACE"))
        #expect(create.contains("\"enable_persistent_index\" = \"true\""))
    }

    @Test func primaryKeyColumnsAreImplicitlyNotNullAndHashedByDefault() throws {
        let h = try SQLHarness()
        try h.run("CREATE TABLE pk2 (k INT, v INT) PRIMARY KEY(k)")
        #expect(try h.run("DESC pk2").first?[2] == "NO")
        let create = try #require(try h.run("SHOW CREATE TABLE pk2").first?[1])
        #expect(create.contains("DISTRIBUTED BY HASH(`k`)"))
        #expect(create.contains("\"enable_persistent_index\" = \"true\""))
        try h.run(
            "CREATE TABLE pk3 (k BIGINT NOT NULL, d DATE NOT NULL, v INT) PRIMARY KEY(k, d) DISTRIBUTED BY HASH(k) ORDER BY (d, v)"
        )
        #expect(try h.run("SHOW CREATE TABLE pk3").first?[1]?.contains("ORDER BY(`d`, `v`)") == true)
    }

    @Test func primaryKeyRulesUseStarRocksMessages() throws {
        let h = try SQLHarness()
        #expect(
            h.failure("CREATE TABLE bad (k INT NULL, v INT) PRIMARY KEY(k)")?.contains(
                "primary key column[k] cannot be nullable") == true)
        #expect(
            h.failure("CREATE TABLE bad (k DOUBLE NOT NULL, v INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k)")?.contains(
                "primary key column[k] type not supported") == true)
        #expect(
            h.failure("CREATE TABLE bad (v INT, k INT NOT NULL) PRIMARY KEY(k) DISTRIBUTED BY HASH(k)")?.contains(
                "Key columns") == true)
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT) PRIMARY KEY(k) DISTRIBUTED BY RANDOM BUCKETS 2")
                == "PRIMARY KEY must use hash distribution")
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT) PRIMARY KEY(nope)") == "Key column(nope) doesn't exist.")
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT SUM) PRIMARY KEY(k)")
                == "PRIMARY_KEYS table should not specify aggregate type for non-key column[v]")
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT) PRIMARY KEY(k) ORDER BY (nope)")
                == "Unknown column 'nope' does not exist")
        #expect(
            h.failure("CREATE TABLE bad (k INT, __op INT) PRIMARY KEY(k)")?.contains("reserved") == true)
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(v)")
                == "Distribution column[v] is not key column")
    }

    @Test func uniqueAndAggregateRules() throws {
        let h = try SQLHarness()
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT) UNIQUE KEY(k)")
                == "Currently not support default distribution in UNIQUE_KEYS")
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT) UNIQUE KEY(k) DISTRIBUTED BY RANDOM")
                == "UNIQUE KEY must use hash distribution")
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k)")?.contains(
                "AGG_KEYS table should specify aggregate type for non-key column[v]") == true)
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT REPLACE) AGGREGATE KEY(k) DISTRIBUTED BY RANDOM")
                == "AGGREGATE KEY with replace  must use hash distribution")
        #expect(
            h.failure("CREATE TABLE bad (k INT SUM, v INT SUM) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k)")
                == "Key column[k] should not specify aggregate type.")
        #expect(
            h.failure("CREATE TABLE bad (k INT, v INT MAX) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) ORDER BY (v)")
                == "The sort columns of AGGREGATE KEY table must be same with key columns")
        try h.run("CREATE TABLE u1 (k INT, v VARCHAR(8)) UNIQUE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        let unique = try #require(try h.run("SHOW CREATE TABLE u1").first?[1])
        #expect(unique.contains("UNIQUE KEY(`k`)"))
        #expect(!unique.contains("REPLACE"))
        try h.run(
            "CREATE TABLE agg1 (k INT, s BIGINT SUM, m DATE MAX, r VARCHAR(8) REPLACE_IF_NOT_NULL NOT NULL) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1"
        )
        let create = try #require(try h.run("SHOW CREATE TABLE agg1").first?[1])
        #expect(create.contains("  `s` bigint(20) SUM NULL COMMENT \"\""))
        #expect(create.contains("AGGREGATE KEY(`k`)"))
        // REPLACE_IF_NOT_NULL columns become nullable (a NULL input keeps the stored value).
        #expect(create.contains("  `r` varchar(8) REPLACE_IF_NOT_NULL NULL COMMENT \"\""))
        // Without a key clause, aggregated columns make an AGGREGATE KEY table keyed by the rest.
        try h.run("CREATE TABLE agg2 (k INT, d DATE, pv BIGINT SUM) DISTRIBUTED BY HASH(k)")
        #expect(try h.run("SHOW CREATE TABLE agg2").first?[1]?.contains("AGGREGATE KEY(`k`, `d`)") == true)
        #expect(try h.run("DESC agg2").map { $0[3] } == ["true", "true", "false"])
    }

    @Test func insertUpsertsIntoPrimaryKeyTablesAndAggregatesIntoAggregateTables() throws {
        let h = try SQLHarness()
        try h.run(Self.pk1)
        try h.run("INSERT INTO pk1 VALUES (1, 'a', 1, 1), (2, 'b', 2, 1), (1, 'c', 3, 2)")
        try h.run("INSERT INTO pk1 VALUES (2, 'd', 4, 2)")
        #expect(try h.run("SELECT * FROM pk1 ORDER BY id") == [["1", "c", "3", "2"], ["2", "d", "4", "2"]])
        try h.run("CREATE TABLE agg1 (k INT, s BIGINT SUM, m INT MAX) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k)")
        try h.run("INSERT INTO agg1 VALUES (1, 1, 5), (1, 2, 3)")
        try h.run("INSERT INTO agg1 VALUES (1, 4, 9), (2, 1, NULL)")
        #expect(try h.run("SELECT * FROM agg1 ORDER BY k") == [["1", "7", "9"], ["2", "1", nil]])
        #expect(try h.run("SELECT count(*) FROM agg1") == [["2"]])
    }

    @Test func describeAllShowsTheKeysTypeAndAggregates() throws {
        let h = try SQLHarness()
        try h.run(
            "CREATE TABLE agg1 (k INT, s BIGINT SUM, r VARCHAR(8) REPLACE) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k)")
        #expect(
            try h.run("DESC agg1 ALL") == [
                ["agg1", "AGG_KEYS", "k", "int", "YES", "true", nil, ""],
                ["", "", "s", "bigint", "YES", "false", nil, "SUM"],
                ["", "", "r", "varchar(8)", "YES", "false", nil, "REPLACE"],
            ])
        try h.run(Self.pk1)
        let pk = try h.run("DESC pk1 ALL")
        #expect(pk.first?[1] == "PRIMARY_KEYS")
        #expect(pk.allSatisfy { $0[7] == "" })
    }
}

/// ARRAY<T> columns: DDL, INSERT (elements checked, text kept canonically), SELECT, DESC,
/// information_schema, and the key-column refusal.
@Suite struct ArrayColumnTests {
    @Test func arraysAreCheckedStoredAndShown() throws {
        let h = try SQLHarness()
        try h.run(
            "CREATE TABLE a (id INT, tags ARRAY<INT>, names ARRAY<VARCHAR(10)>, nested ARRAY<ARRAY<BIGINT>>) "
                + "DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1")
        try h.run(#"INSERT INTO a VALUES (1, '[1, 2 ,3]', '["a", null]', '[[1],[2, 3]]'), (2, '[]', NULL, NULL)"#)
        #expect(
            try h.run("SELECT id, tags, names, nested FROM a ORDER BY id") == [
                ["1", "[1,2,3]", #"["a",null]"#, "[[1],[2,3]]"], ["2", "[]", nil, nil],
            ])
        #expect(h.failure("INSERT INTO a VALUES (3, '[1, x]', NULL, NULL)")?.contains("array<int(11)>") == true)
        #expect(
            try h.run("DESC a").map { $0[1] } == ["int", "array<int>", "array<varchar(10)>", "array<array<bigint>>"])
        #expect(
            try h.run("SELECT COLUMN_TYPE, DATA_TYPE FROM information_schema.columns WHERE TABLE_NAME = 'a'")
                .dropFirst() == [
                    ["array<int(11)>", "array"], ["array<varchar(10)>", "array"],
                    ["array<array<bigint(20)>>", "array"],
                ])
        #expect(
            h.failure("CREATE TABLE b (k ARRAY<INT>, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(v) BUCKETS 1")?
                .contains("key column[k] type not supported: array<int(11)>") == true)
    }
}
