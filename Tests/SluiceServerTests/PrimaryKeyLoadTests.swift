import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// Primary Key and Unique Key tables through Stream Load over loopback HTTP (spec table-models
/// §8 scenarios 9–21, 30, 31, 33).
@Suite(.serialized) struct PrimaryKeyLoadTests {
    static let tables = [
        """
        CREATE TABLE pk1 (id INT NOT NULL, name VARCHAR(64) NULL, score INT NOT NULL DEFAULT "0",
        version INT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1
        """,
        "CREATE TABLE t1 (id INT NOT NULL, name VARCHAR(64) NULL, score INT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE uk1 (id INT NOT NULL, name VARCHAR(64) NULL) UNIQUE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE pks (k VARCHAR(300) NOT NULL, v INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
        """
        CREATE TABLE agg1 (k INT NOT NULL, s BIGINT SUM NULL, mx INT MAX NULL, mn INT MIN NULL,
        r VARCHAR(10) REPLACE NULL, rn VARCHAR(10) REPLACE_IF_NOT_NULL NULL)
        AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1
        """,
        "CREATE TABLE agg2 (k INT NOT NULL, s BIGINT SUM NULL) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1",
        """
        CREATE TABLE sorted (id INT NOT NULL, a INT NULL, b INT NULL) PRIMARY KEY(id)
        DISTRIBUTED BY HASH(id) BUCKETS 1 ORDER BY (a)
        """,
    ]

    struct Fixture {
        let directory: String
        let server: ServerProcess
        let sql: SQLClient

        init() async throws {
            (directory, server, sql) = try await startServer(tables: PrimaryKeyLoadTests.tables)
        }

        @discardableResult
        func load(
            _ table: String, _ body: String, _ headers: [String: String] = [:], expect status: String = "Success"
        ) throws -> Curl.Response {
            var all = ["column_separator": ","]
            all.merge(headers) { $1 }
            let response = try Curl.streamLoad(
                port: server.port, database: "db", table: table, body: body, headers: all)
            #expect(response.string("Status") == status, "\(response.body)")
            return response
        }

        func rows(_ query: String) async throws -> [[String?]] {
            try await sql.execute(query, database: "db").rows
        }

        func pk1() async throws -> [[String?]] { try await rows("SELECT * FROM pk1 ORDER BY id") }

        func close() {
            server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func upsertsDeletesAndOpsFollowTheSpec() async throws {
        let f = try await Fixture()
        defer { f.close() }
        // 9. Upsert across loads.
        #expect(try f.load("pk1", "1,a,10,1\n2,b,20,1").int("NumberLoadedRows") == 2)
        try f.load("pk1", "1,z,11,2")
        #expect(try await f.pk1() == [["1", "z", "11", "2"], ["2", "b", "20", "1"]])
        #expect(try await f.rows("SELECT count(*) FROM pk1") == [["2"]])
        // 10. Duplicate keys in one load: the last wins, every row counts as loaded.
        let dup = try f.load("pk1", "5,a,1,1\n5,b,2,1\n5,c,3,1")
        #expect(dup.int("NumberLoadedRows") == 3)
        #expect(dup.int("NumberFilteredRows") == 0)
        #expect(try await f.rows("SELECT * FROM pk1 WHERE id = 5") == [["5", "c", "3", "1"]])
        try f.load("pk1", "5,x,0,0", ["columns": "id,name,score,version,__op='delete'"])
        // 11. Constant delete.
        try f.load("pk1", "1,x,0,0", ["columns": "id,name,score,version,__op='delete'"])
        #expect(try await f.pk1() == [["2", "b", "20", "1"]])
        // 12. Delete of a missing key is a no-op.
        try f.load("pk1", "99,x,0,0", ["columns": "id,name,score,version,__op='DELETE'"])
        #expect(try await f.pk1() == [["2", "b", "20", "1"]])
        // 13. Ops from data through an expression.
        try f.load("pk1", "2,b,0,0,1\n3,c,30,1,0", ["columns": "id,name,score,version,tmp,__op=tmp"])
        #expect(try await f.pk1() == [["3", "c", "30", "1"]])
        // 14. Op as a plain column.
        try f.load("pk1", "3,1,c,30,1", ["columns": "id,__op,name,score,version"])
        #expect(try await f.pk1() == [])
        // 15. Order inside one load: the last op per key wins.
        try f.load("pk1", "7,a,1,1,0\n7,a,1,1,1\n8,b,2,1,1\n8,b,2,1,0", ["columns": "id,name,score,version,__op"])
        #expect(try await f.pk1() == [["8", "b", "2", "1"]])
        // 17. Bad op constant: the load fails, nothing changes.
        let bad = try f.load(
            "pk1", "8,q,0,0", ["columns": "id,name,score,version,__op='remove'"], expect: "Fail")
        #expect(bad.string("Message")?.contains("load op type string not supported: remove") == true)
        let badInt = try f.load("pk1", "8,q,0,0", ["columns": "id,name,score,version,__op=2"], expect: "Fail")
        #expect(
            badInt.string("Message")?.contains("const load op type column should only be upsert(0)/delete(1)") == true)
        // 18. NULL op: filtered with StarRocks' reason.
        let nullOp = try f.load("pk1", "4,d,4,1,\\N", ["columns": "id,name,score,version,__op"], expect: "Fail")
        #expect(nullOp.string("Message")?.hasPrefix("too many filtered rows: ") == true)
        #expect(nullOp.int("NumberFilteredRows") == 1)
        let log = try Curl.run([try #require(nullOp.string("ErrorURL"))])
        #expect(log.body.contains("NULL value in non-nullable column '__op'"))
        let twoOp = try f.load("pk1", "4,d,4,1,2", ["columns": "id,name,score,version,__op"], expect: "Fail")
        #expect(try Curl.run([try #require(twoOp.string("ErrorURL"))]).body.contains("invalid __op value 2"))
        // 19. NULL key.
        try f.load("pk1", "\\N,e,5,1", expect: "Fail")
        let ratio = try f.load("pk1", "\\N,e,5,1\n10,f,6,1", ["max_filter_ratio": "0.5"])
        #expect(ratio.int("NumberFilteredRows") == 1)
        #expect(ratio.int("NumberLoadedRows") == 1)
        #expect(try await f.pk1() == [["8", "b", "2", "1"], ["10", "f", "6", "1"]])
        // 20. JSON: a top-level __op key is read automatically; missing means upsert.
        try f.load(
            "pk1",
            #"[{"id":8,"name":"b","score":2,"version":1,"__op":1},{"id":9,"name":"i","score":9,"version":1}]"#,
            ["format": "json", "strip_outer_array": "true"])
        #expect(try await f.pk1() == [["9", "i", "9", "1"], ["10", "f", "6", "1"]])
        // 30. __op on a duplicate table is ignored: rows are appended.
        try f.load("t1", "1,a,1", ["columns": "id,name,score,__op='delete'"])
        #expect(try await f.rows("SELECT * FROM t1") == [["1", "a", "1"]])
        // 33. Unique key: the latest load wins, NULL included.
        try f.load("uk1", "1,a\n1,b")
        #expect(try await f.rows("SELECT * FROM uk1") == [["1", "b"]])
        try f.load("uk1", "1,\\N")
        #expect(try await f.rows("SELECT * FROM uk1") == [["1", nil]])
    }

    @Test func keySizeLimitFailsTheWholeLoad() async throws {
        let f = try await Fixture()
        defer { f.close() }
        // 21. 128 bytes are accepted, 129 fail the load and nothing of it is visible.
        let ok = String(repeating: "k", count: 128)
        try f.load("pks", "\(ok),1")
        let long = String(repeating: "x", count: 129)
        let failed = try f.load("pks", "a,1\n\(long),2", expect: "Fail")
        #expect(failed.string("Message")?.contains("primary key size exceed the limit") == true)
        #expect(try await f.rows("SELECT k, v FROM pks") == [[ok, "1"]])
    }

    @Test func orderHoldsAcrossFlushesAndCompaction() async throws {
        // 16. A load that flushes several times keeps the last op per key in input order.
        let (directory, server, sql) = try await startServer(
            tables: Self.tables, environment: ["SLUICE_LOAD_MEMORY_LIMIT_BYTES": "1048576"])
        defer {
            server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let n = 200_000
        var body = ""
        body.reserveCapacity(n * 3 * 16)
        for k in 1...n { body += "\(k),v1,\(k),1,0\n" }
        for k in 1...n { body += "\(k),v1,\(k),1,1\n" }
        let deletesLast = body
        for k in 1...n { body += "\(k),v2,\(k),2,0\n" }
        let headers = ["column_separator": ",", "columns": "id,name,score,version,__op"]
        let first = try Curl.streamLoad(port: server.port, database: "db", table: "pk1", body: body, headers: headers)
        #expect(first.string("Status") == "Success", "\(first.body)")
        #expect(
            try await sql.execute("SELECT count(*), min(name), max(name) FROM pk1", database: "db").rows == [
                ["200000", "v2", "v2"]
            ])
        let second = try Curl.streamLoad(
            port: server.port, database: "db", table: "pk1", body: deletesLast, headers: headers)
        #expect(second.string("Status") == "Success", "\(second.body)")
        #expect(try await sql.execute("SELECT count(*) FROM pk1", database: "db").rows == [["0"]])
    }

    @Test func partialAndConditionalUpdatesFollowTheSpec() async throws {
        let f = try await Fixture()
        defer { f.close() }
        try f.load("pk1", "1,a,10,5")
        // 22. Partial update, row mode: named columns change, a new key gets defaults / NULL.
        try f.load("pk1", "1,99\n7,70", ["partial_update": "true", "columns": "id,score"])
        #expect(try await f.pk1() == [["1", "a", "99", "5"], ["7", nil, "70", nil]])
        // 23, 24. Errors.
        let dup = try f.load("t1", "1,1", ["partial_update": "true", "columns": "id,score"], expect: "Fail")
        #expect(dup.string("Message") == "Only primary key table support partial update")
        let noKey = try f.load("pk1", "a,1", ["partial_update": "true", "columns": "name,score"], expect: "Fail")
        #expect(noKey.string("Message")?.contains("key column id not in partial update columns") == true)
        let missing = try f.load("pk1", "1,1", ["partial_update": "true", "columns": "id,nope"], expect: "Fail")
        #expect(missing.string("Message")?.contains("partial update column nope is not in table pk1") == true)
        let badFlag = try f.load("pk1", "1,1", ["partial_update": "maybe"], expect: "Fail")
        #expect(badFlag.string("Message")?.contains("Invalid partial update flag format. Must be bool type") == true)
        let sortKey = try f.load("sorted", "1,2", ["partial_update": "true", "columns": "id,b"], expect: "Fail")
        #expect(
            sortKey.string("Message")?.contains(
                "partial update on table with sort key must provide all sort key columns")
                == true)
        // 25. Delete by key only.
        try f.load("pk1", "7", ["partial_update": "true", "columns": "id,__op='delete'"])
        #expect(try await f.pk1() == [["1", "a", "99", "5"]])
        // 26. Conditional update: a smaller version is ignored, equal and larger apply.
        try f.load("pk1", "1,old,1,4", ["merge_condition": "version"])
        #expect(try await f.pk1() == [["1", "a", "99", "5"]])
        try f.load("pk1", "1,eq,2,5", ["merge_condition": "version"])
        #expect(try await f.pk1() == [["1", "eq", "2", "5"]])
        try f.load("pk1", "1,new,3,6", ["merge_condition": "version"])
        #expect(try await f.pk1() == [["1", "new", "3", "6"]])
        // 27. Inside one load: the largest condition value wins, the last of the ties.
        try f.load("pk1", "2,x,1,9\n2,y,1,3\n2,z,1,9", ["merge_condition": "version"])
        #expect(try await f.rows("SELECT * FROM pk1 WHERE id = 2") == [["2", "z", "1", "9"]])
        // 28. merge_condition errors.
        let cases: [(String, String, String)] = [
            ("pk1", "id", "Merge condition column id should not be primary key!"),
            ("pk1", "nope", "Merge condition column nope does not exist."),
            ("pk1", "name", "Merge condition column has invalid type maybe bitmap/hll/percentile/json/varchar!"),
            ("t1", "score", "Conditional update only support primary key table t1"),
        ]
        for (table, column, message) in cases {
            let failed = try f.load(table, "1,a,1,1", ["merge_condition": column], expect: "Fail")
            #expect(failed.string("Message")?.hasPrefix(message) == true, "\(failed.body)")
        }
        // 29. merge_condition with a delete fails the load; nothing changes.
        let withDelete = try f.load(
            "pk1", "1,x,0,9", ["merge_condition": "version", "columns": "id,name,score,version,__op='delete'"],
            expect: "Fail")
        #expect(withDelete.string("Message")?.contains("delete with condition column") == true)
        #expect(try await f.rows("SELECT * FROM pk1 WHERE id = 1") == [["1", "new", "3", "6"]])
        // Partial update with a merge condition: the condition column must be named.
        try f.load(
            "pk1", "1,7,zz", ["partial_update": "true", "columns": "id,version,name", "merge_condition": "version"])
        #expect(try await f.rows("SELECT * FROM pk1 WHERE id = 1") == [["1", "zz", "3", "7"]])
        let unnamed = try f.load(
            "pk1", "1,zz", ["partial_update": "true", "columns": "id,name", "merge_condition": "version"],
            expect: "Fail")
        #expect(unnamed.string("Message")?.hasPrefix("Merge condition column version does not exist.") == true)
        // 35. negative on a PRIMARY KEY table and on a table with a non-SUM value column.
        let negativePK = try f.load("pk1", "1,a,1,1", ["negative": "true"], expect: "Fail")
        #expect(negativePK.string("Message") == "Primary key table does not support negative load")
        let negativeDup = try f.load("t1", "1,a,1", ["negative": "true"], expect: "Fail")
        #expect(negativeDup.string("Message") == "Column is not SUM AggreateType. column:name")
    }

    @Test func transactionLoadsCommitInCommitOrder() async throws {
        // 31. A prepared PK transaction takes effect at commit: it wins over a load committed
        // between its prepare and its commit.
        let f = try await Fixture()
        defer { f.close() }
        try f.load("pk1", "1,a,10,5\n2,b,20,1")
        let port = f.server.port
        func tx(_ action: String, _ headers: [String: String] = [:], body: String? = nil) throws -> Curl.Response {
            var all = ["label": "tx_pk", "db": "db", "table": "pk1"]
            all.merge(headers) { $1 }
            return try Curl.transaction(port: port, action: action, headers: all, body: body)
        }
        #expect(try tx("begin").string("Status") == "OK")
        let ops = ["column_separator": ",", "columns": "id,name,score,version,__op"]
        #expect(try tx("load", ops, body: "1,b,11,6,0").string("Status") == "OK")
        #expect(try tx("load", ops, body: "2,x,0,0,1").string("Status") == "OK")
        let prepared = try tx("prepare")
        #expect(prepared.string("Status") == "OK", "\(prepared.body)")
        #expect(try await f.pk1() == [["1", "a", "10", "5"], ["2", "b", "20", "1"]])
        try f.load("pk1", "1,c,12,7")
        #expect(try tx("commit").string("Status") == "OK")
        #expect(try await f.pk1() == [["1", "b", "11", "6"]])
    }

    @Test func aggregateTablesMergeOnReadAndNegativeLoadsUndo() async throws {
        let f = try await Fixture()
        defer { f.close() }
        // 34. Aggregate functions; count(*) counts keys right after each load.
        try f.load("agg1", "1,10,10,10,a,a\n1,1,1,1,b,b")
        #expect(try await f.rows("SELECT * FROM agg1") == [["1", "11", "10", "1", "b", "b"]])
        #expect(try await f.rows("SELECT count(*) FROM agg1") == [["1"]])
        try f.load("agg1", "1,5,20,5,\\N,\\N")
        #expect(try await f.rows("SELECT * FROM agg1") == [["1", "16", "20", "1", nil, "b"]])
        #expect(try await f.rows("SELECT count(*) FROM agg1") == [["1"]])
        try f.load("agg1", "2,1,1,1,x,\\N")
        #expect(try await f.rows("SELECT k, s, rn FROM agg1 ORDER BY k") == [["1", "16", "b"], ["2", "1", nil]])
        #expect(try await f.rows("SELECT sum(s) FROM agg1 WHERE k = 1") == [["16"]])
        // 35. negative undoes a SUM load.
        try f.load("agg2", "1,10")
        try f.load("agg2", "1,4", ["negative": "true"])
        #expect(try await f.rows("SELECT s FROM agg2") == [["6"]])
        let notSum = try f.load("agg1", "1,1,1,1,a,a", ["negative": "true"], expect: "Fail")
        #expect(notSum.string("Message") == "Column is not SUM AggreateType. column:mx")
        // Compaction merges the rows for good; results do not change.
        for i in 0..<10 { try f.load("agg2", "1,\(i)\n2,1") }
        #expect(try await f.rows("SELECT k, s FROM agg2 ORDER BY k") == [["1", "51"], ["2", "10"]])
    }

    @Test func aMillionKeysUpsertedTwiceLeaveAMillionRowsWithTheSecondValues() async throws {
        let f = try await Fixture()
        defer { f.close() }
        let n = 1_000_000
        func body(version: Int) -> String {
            var text = ""
            text.reserveCapacity(n * 24)
            for k in 1...n { text += "\(k),n\(version),\(k % 1000),\(version)\n" }
            return text
        }
        #expect(try f.load("pk1", body(version: 1)).int("NumberLoadedRows") == n)
        #expect(try f.load("pk1", body(version: 2)).int("NumberLoadedRows") == n)
        #expect(
            try await f.rows(
                "SELECT count(*), count(DISTINCT id), min(version), max(version), min(name), sum(score) FROM pk1")
                == [["1000000", "1000000", "2", "2", "n2", "\((1...n).reduce(0) { $0 + $1 % 1000 })"]])
    }

    @Test func sqlScenariosOverTheHTTPSQLAPI() async throws {
        // Scenarios 1–8 (DDL and metadata) and 32 (UPDATE/DELETE) through the HTTP SQL API.
        let f = try await Fixture()
        defer { f.close() }
        func error(_ statement: String) async throws -> String {
            try await f.sql.execute(statement, database: "db").error ?? ""
        }
        let desc = try await f.rows("DESC pk1")
        #expect(
            desc.map { [$0[0], $0[1], $0[2], $0[3]] } == [
                ["id", "int", "NO", "true"], ["name", "varchar(64)", "YES", "false"], ["score", "int", "NO", "false"],
                ["version", "int", "YES", "false"],
            ])
        #expect(try await f.sql.execute("CREATE TABLE pk2 (k INT, v INT) PRIMARY KEY(k)", database: "db").error == nil)
        #expect(try await f.rows("DESC pk2").first?[2] == "NO")
        let create = try await f.rows("SHOW CREATE TABLE pk1").first?[1] ?? ""
        #expect(create.contains("PRIMARY KEY(`id`)") && create.contains("DISTRIBUTED BY HASH(`id`) BUCKETS 1"))
        #expect(!create.contains("REPLACE"))
        #expect(
            try await error("CREATE TABLE bad (k INT NULL, v INT) PRIMARY KEY(k)").contains(
                "primary key column[k] cannot be nullable"))
        #expect(
            try await error("CREATE TABLE bad (k DOUBLE NOT NULL, v INT) PRIMARY KEY(k) DISTRIBUTED BY HASH(k)")
                .contains(
                    "primary key column[k] type not supported"))
        #expect(
            try await error("CREATE TABLE bad (v INT, k INT NOT NULL) PRIMARY KEY(k) DISTRIBUTED BY HASH(k)").contains(
                "Key columns"))
        #expect(
            try await error("CREATE TABLE bad (k INT, v INT) PRIMARY KEY(k) DISTRIBUTED BY RANDOM BUCKETS 2").contains(
                "PRIMARY KEY must use hash distribution"))
        #expect(
            try await error("CREATE TABLE bad (k INT, v INT) UNIQUE KEY(k)").contains(
                "Currently not support default distribution in UNIQUE_KEYS"))
        #expect(
            try await error("CREATE TABLE bad (k INT, v INT) AGGREGATE KEY(k) DISTRIBUTED BY HASH(k)").contains(
                "AGG_KEYS table should specify aggregate type for non-key column[v]"))
        try f.load("pk1", "1,a,10,5\n2,b,60,1")
        #expect(try await error("UPDATE pk1 SET score = score + 1 WHERE id = 1") == "")
        #expect(
            try await error("UPDATE pk1 SET score = 0, name = 'q'").contains(
                "must specify where clause to prevent full table update"))
        #expect(
            try await error("UPDATE pk1 SET id = 5 WHERE id = 1").contains("primary key column cannot be updated: id"))
        #expect(try await error("UPDATE t1 SET score = 1 WHERE id = 1").contains("does not support update"))
        #expect(try await error("DELETE FROM pk1 WHERE score > 50") == "")
        #expect(
            try await error("DELETE FROM pk1").contains("Delete must specify where clause to prevent full table delete")
        )
        #expect(try await error("UPDATE pk1 SET score = 0") == "")
        #expect(try await f.pk1() == [["1", "a", "0", "5"]])
    }
}
