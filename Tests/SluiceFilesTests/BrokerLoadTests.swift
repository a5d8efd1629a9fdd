import Foundation
import SluiceFiles
import SluiceIO
import SluiceLoad
import SluiceParquet
import SluiceSQL
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// Broker Load end to end in one process (spec C.6 scenarios 1–7): LOAD LABEL, SHOW LOAD and
/// CANCEL LOAD through the SQL executor, jobs on their own threads, real files on disk and a real
/// S3-compatible server.
@Suite(.serialized) struct BrokerLoadTests {
    final class Fixture: @unchecked Sendable {
        let root = makeTemporaryDirectory("sluice-broker")
        let fs = PosixFileSystem()
        var engine: StorageEngine
        var manager: BrokerLoadManager
        var executor: SQLExecutor
        var session: Session { Session(database: "db", nowMicros: 1_700_000_000_000_000) }
        var data: String { root + "/sl" }

        init(maxConcurrentJobs: Int = 5) throws {
            (engine, manager, executor) = try Self.open(root + "/engine", maxConcurrentJobs: maxConcurrentJobs)
            try run("CREATE DATABASE db")
            try run("CREATE TABLE t (id INT, name VARCHAR(20), score INT) DUPLICATE KEY(id)")
            try write("csv/file1.csv", "1,Lily,21\n2,Rose,22\n")
            try write("csv/file2.csv", "3,Alice,23\n")
        }

        static func open(_ path: String, maxConcurrentJobs: Int = 5) throws -> (
            StorageEngine, BrokerLoadManager, SQLExecutor
        ) {
            let engine = try StorageEngine(path: path, fileSystem: PosixFileSystem())
            let transactions = TransactionManager(engine: engine)
            let manager = BrokerLoadManager(
                engine: engine, loads: LoadService(engine: engine, transactions: transactions),
                maxConcurrentJobs: maxConcurrentJobs)
            manager.start()
            var executor = SQLExecutor(engine: engine, transactions: transactions)
            executor.brokerLoad = manager
            executor.errorLogURL = { "http://127.0.0.1:8040/api/_load_error_log?file=\($0)" }
            return (engine, manager, executor)
        }

        /// Stops the process's engine and opens it again (a restart).
        func restart() throws {
            manager.shutdown()
            engine.close()
            (engine, manager, executor) = try Self.open(root + "/engine")
        }

        func write(_ relative: String, _ text: String) throws {
            let path = data + "/" + relative
            try fs.createDirectory(FilePath.parent(path))
            let file = try fs.createFile(path)
            try file.append(Array(text.utf8))
            try file.close()
        }

        @discardableResult
        func run(_ sql: String) throws(SQLError) -> [[String?]] {
            switch try executor.execute(sql, session: session) {
            case .rows(let result, _): return result.textRows
            case .ok: return []
            }
        }

        /// SHOW LOAD's row of `label` once its job has ended, by column name.
        func finished(_ label: String) async throws -> [String: String] {
            await manager.waitUntilIdle()
            let rows = try run("SHOW LOAD WHERE LABEL = \"\(label)\"")
            try #require(rows.count == 1, "\(rows)")
            var row = [String: String]()
            for (name, value) in zip(BrokerLoadExecutionColumns.names, rows[0]) { row[name] = value ?? "NULL" }
            return row
        }

        func count() throws -> String? { try run("SELECT count(*) FROM t").first?.first ?? nil }

        deinit {
            manager.shutdown()
            engine.close()
            try? fs.removeTree(root)
        }
    }

    @Test func localCSVLoadsInOneTransaction() async throws {
        let f = try Fixture()
        // Scenario 1: returns at once; FINISHED with StarRocks' texts.
        try f.run(
            """
            LOAD LABEL db.l1 (DATA INFILE("file://\(f.data)/csv/*") INTO TABLE t COLUMNS TERMINATED BY "," (id,name,score))
            WITH BROKER PROPERTIES("timeout"="3600")
            """)
        let row = try await f.finished("l1")
        #expect(row["State"] == "FINISHED")
        #expect(row["Progress"] == "ETL:100%; LOAD:100%")
        #expect(row["Type"] == "BROKER")
        #expect(row["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=0; dpp.norm.ALL=3")
        #expect(row["ErrorMsg"] == "NULL")
        #expect(row["TaskInfo"] == "resource:N/A; timeout(s):3600; max_filter_ratio:0.0")
        #expect(row["URL"] == "NULL")
        #expect(row["CreateTime"]?.count == 19 && row["LoadFinishTime"]?.count == 19)
        let details = try JSONSerialization.jsonObject(with: Data((row["JobDetails"] ?? "").utf8)) as? [String: Any]
        #expect(details?["FileNumber"] as? Int == 2 && details?["ScanRows"] as? Int == 3)
        #expect(details?["FileSize"] as? Int == 31)
        #expect(try f.count() == "3")
        #expect(try f.run("SELECT name FROM t ORDER BY id").map { $0[0] } == ["Lily", "Rose", "Alice"])
        // Scenario 2: a FINISHED label cannot be reused; nothing more is loaded.
        let reuse = #expect(throws: SQLError.self) {
            try f.run(
                "LOAD LABEL db.l1 (DATA INFILE(\"file://\(f.data)/csv/*\") INTO TABLE t COLUMNS TERMINATED BY \",\") WITH BROKER"
            )
        }
        #expect(reuse?.message == "Label [l1] has already been used.")
        #expect(try f.count() == "3")
        // The label is shared with every other load.
        let insert = #expect(throws: SQLError.self) { try f.run("INSERT INTO t WITH LABEL l1 VALUES (9, 'x', 1)") }
        #expect(insert?.message == "Label [l1] has already been used.")
        // The job is kept across a restart.
        try f.restart()
        #expect(try await f.finished("l1")["State"] == "FINISHED")
        #expect(try f.run("SHOW LOAD WHERE LABEL LIKE \"l\"").count == 1)
        #expect(try f.run("SHOW LOAD WHERE STATE = \"CANCELLED\"").isEmpty)
    }

    @Test func missingFilesAndBadDataCancelTheJob() async throws {
        let f = try Fixture()
        // Scenario 3: no files.
        try f.run(
            "LOAD LABEL db.l3 (DATA INFILE(\"file://\(f.data)/none/*\") INTO TABLE t COLUMNS TERMINATED BY \",\") WITH BROKER"
        )
        let missing = try await f.finished("l3")
        #expect(missing["State"] == "CANCELLED")
        #expect(
            missing["ErrorMsg"]?.hasPrefix(
                "type:ETL_RUN_FAIL; msg:No files were found matching the pattern(s) or path(s): 'file://\(f.data)/none/*'"
            ) == true, "\(missing)")
        #expect(missing["Progress"] == "ETL:N/A; LOAD:N/A")
        // Scenario 4: a bad row with max_filter_ratio 0 cancels the job; nothing is visible.
        try f.write("csv/file3.csv", "x,Bad,1\n")
        try f.run(
            "LOAD LABEL db.l4 (DATA INFILE(\"file://\(f.data)/csv/*\") INTO TABLE t COLUMNS TERMINATED BY \",\") WITH BROKER"
        )
        let quality = try await f.finished("l4")
        #expect(quality["State"] == "CANCELLED")
        #expect(quality["ErrorMsg"] == "type:ETL_QUALITY_UNSATISFIED; msg:quality not good enough to cancel")
        #expect(quality["URL"]?.hasPrefix("http://127.0.0.1:8040/api/_load_error_log?file=") == true)
        #expect(try f.count() == "0")
        // With max_filter_ratio 0.5 the same files load, the bad row counted.
        try f.run(
            """
            LOAD LABEL db.l4b (DATA INFILE("file://\(f.data)/csv/*") INTO TABLE t COLUMNS TERMINATED BY ",")
            WITH BROKER PROPERTIES("max_filter_ratio"="0.5")
            """)
        let tolerated = try await f.finished("l4b")
        #expect(tolerated["State"] == "FINISHED")
        #expect(tolerated["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=1; dpp.norm.ALL=3")
        #expect(tolerated["TaskInfo"] == "resource:N/A; timeout(s):14400; max_filter_ratio:0.5")
        #expect(try f.count() == "3")
        // Scenario 5: a CANCELLED label is free again.
        try f.fs.removeFile(f.data + "/csv/file3.csv")
        try f.run(
            "LOAD LABEL db.l4 (DATA INFILE(\"file://\(f.data)/csv/*\") INTO TABLE t COLUMNS TERMINATED BY \",\") WITH BROKER"
        )
        #expect(try await f.finished("l4")["State"] == "FINISHED")
        #expect(try f.count() == "6")
    }

    @Test func clausesMapColumnsAndFilterRows() async throws {
        let f = try Fixture()
        try f.write("h/a.csv", "id|name|score\n1|\"Lily, Jr\"|21\n2|Rose|22")
        try f.write("h/b.csv", "id|name|score\n3|Alice|23\n4|Bob|5\n")
        try f.run(
            """
            LOAD LABEL db.m1 (
              DATA INFILE("file://\(f.data)/h/a.csv", "\(f.data)/h/b.csv") INTO TABLE t
              COLUMNS TERMINATED BY "|" FORMAT AS "CSV" (skip_header = 1 enclose = "\\"")
              (id, name, tmp) SET (score = tmp * 10) WHERE score > 100
            ) WITH BROKER "legacy_broker" PROPERTIES ("priority" = "HIGH")
            """)
        let row = try await f.finished("m1")
        #expect(row["State"] == "FINISHED", "\(row["ErrorMsg"] ?? "")")
        #expect(row["Priority"] == "HIGH")
        #expect(row["EtlInfo"] == "unselected.rows=1; dpp.abnorm.ALL=0; dpp.norm.ALL=3")
        #expect(
            try f.run("SELECT id, name, score FROM t ORDER BY id") == [
                ["1", "Lily, Jr", "210"], ["2", "Rose", "220"], ["3", "Alice", "230"],
            ])
        // JSON lines by extension.
        try f.write("j/rows.json", "{\"id\": 7, \"name\": \"J\", \"score\": 1}\n{\"id\": 8, \"name\": \"K\"}\n")
        try f.run("LOAD LABEL db.m2 (DATA INFILE(\"file://\(f.data)/j/*.json\") INTO TABLE t) WITH BROKER")
        #expect(try await f.finished("m2")["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=0; dpp.norm.ALL=2")
    }

    @Test func columnsFromPathFillColumnsPerFile() async throws {
        let f = try Fixture()
        try f.run("CREATE TABLE visits (city VARCHAR(20), dt DATE, id INT, n INT) DUPLICATE KEY(city)")
        try f.write("hive/city=beijing/dt=2024-01-01/a.csv", "1,10\n2,20\n")
        try f.write("hive/city=shanghai/dt=2024-01-02/b.csv", "3,30\n")
        // Hive's NULL partition; the path's columns feed SET expressions too.
        try f.write("hive/city=__HIVE_DEFAULT_PARTITION__/dt=2024-01-03/c.csv", "4,40\n")
        try f.run(
            """
            LOAD LABEL db.p1 (DATA INFILE("file://\(f.data)/hive/*/*/*.csv") INTO TABLE visits
              COLUMNS TERMINATED BY "," (id, tmp) COLUMNS FROM PATH AS (city, dt) SET (n = tmp + day(dt)))
            WITH BROKER
            """)
        let row = try await f.finished("p1")
        #expect(row["State"] == "FINISHED", "\(row["ErrorMsg"] ?? "")")
        #expect(
            try f.run("SELECT city, dt, id, n FROM visits ORDER BY id") == [
                ["beijing", "2024-01-01", "1", "11"], ["beijing", "2024-01-01", "2", "21"],
                ["shanghai", "2024-01-02", "3", "32"], [nil, "2024-01-03", "4", "43"],
            ])
        // Without a column list the files hold the table's other columns; JSON and Parquet too.
        try f.write("more/city=hz/dt=2024-02-01/d.csv", "5,50\n")
        try f.write("json/city=wh/dt=2024-03-01/e.json", "{\"id\": 6, \"n\": 60}\n")
        try f.run(
            "LOAD LABEL db.p2 (DATA INFILE(\"file://\(f.data)/more/*/*/*\") INTO TABLE visits COLUMNS TERMINATED BY \",\" COLUMNS FROM PATH AS (dt, city)) WITH BROKER"
        )
        #expect(try await f.finished("p2")["State"] == "FINISHED")
        try f.run(
            "LOAD LABEL db.p3 (DATA INFILE(\"file://\(f.data)/json/*/*/*.json\") INTO TABLE visits COLUMNS FROM PATH AS (city, dt)) WITH BROKER"
        )
        #expect(try await f.finished("p3")["State"] == "FINISHED")
        try FileManager.default.createDirectory(atPath: f.data + "/pq/city=sz", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: ParquetReaderTests.fixtures + "/p.parquet", toPath: f.data + "/pq/city=sz/p.parquet")
        try f.run("CREATE TABLE people (id INT, name VARCHAR(20), score INT, city VARCHAR(20)) DUPLICATE KEY(id)")
        try f.run(
            "LOAD LABEL db.p4 (DATA INFILE(\"file://\(f.data)/pq/*/*\") INTO TABLE people FORMAT AS \"parquet\" (id, name, score) COLUMNS FROM PATH AS (city)) WITH BROKER"
        )
        #expect(try await f.finished("p4")["State"] == "FINISHED")
        #expect(try f.run("SELECT city, count(*) FROM people GROUP BY city") == [["sz", "3"]])
        #expect(
            try f.run("SELECT city, dt, id, n FROM visits WHERE id >= 5 ORDER BY id") == [
                ["hz", "2024-02-01", "5", "50"], ["wh", "2024-03-01", "6", "60"],
            ])
        // A file outside the partition layout, and a value of the wrong type (strict mode):
        // the job is cancelled with the reason, nothing of it is loaded.
        try f.write("flat/x.csv", "7,70\n")
        try f.run(
            "LOAD LABEL db.p5 (DATA INFILE(\"file://\(f.data)/flat/x.csv\") INTO TABLE visits COLUMNS TERMINATED BY \",\" (id, n) COLUMNS FROM PATH AS (city, dt)) WITH BROKER"
        )
        let flat = try await f.finished("p5")
        #expect(flat["State"] == "CANCELLED")
        #expect(
            flat["ErrorMsg"]?.hasPrefix("type:LOAD_RUN_FAIL; msg:Fail to parse columnsFromPath, expected: city")
                == true,
            "\(flat)")
        try f.write("baddate/city=a/dt=someday/y.csv", "8,80\n")
        try f.run(
            "LOAD LABEL db.p6 (DATA INFILE(\"file://\(f.data)/baddate/*/*/*\") INTO TABLE visits COLUMNS TERMINATED BY \",\" (id, n) COLUMNS FROM PATH AS (city, dt)) WITH BROKER"
        )
        let bad = try await f.finished("p6")
        #expect(bad["ErrorMsg"] == "type:ETL_QUALITY_UNSATISFIED; msg:quality not good enough to cancel")
        #expect(bad["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=1; dpp.norm.ALL=0")
        // A path column also in the column list is refused at once.
        let refused = #expect(throws: SQLError.self) {
            try f.run(
                "LOAD LABEL db.p7 (DATA INFILE(\"file://\(f.data)/hive/*/*/*.csv\") INTO TABLE visits (id, city) COLUMNS FROM PATH AS (city)) WITH BROKER"
            )
        }
        #expect(refused?.message.contains("Duplicate column name 'city'") == true, "\(String(describing: refused))")
        #expect(try f.run("SELECT count(*) FROM visits") == [["6"]])
    }

    /// Several `DATA INFILE` clauses, into two tables and twice into one, load as one
    /// transaction: all visible at once under the label, or — when a clause fails — nothing.
    @Test func severalClausesLoadAsOneTransaction() async throws {
        let f = try Fixture()
        try f.run("CREATE TABLE scores (id INT, score INT) DUPLICATE KEY(id)")
        try f.write("other/a.csv", "10|100\n11|110\n")
        try f.write("other/b.csv", "12,Zed\n")
        try f.run(
            """
            LOAD LABEL db.multi (
              DATA INFILE("file://\(f.data)/csv/*") INTO TABLE t COLUMNS TERMINATED BY ",",
              DATA INFILE("file://\(f.data)/other/a.csv") INTO TABLE scores COLUMNS TERMINATED BY "|",
              DATA INFILE("file://\(f.data)/other/b.csv") INTO TABLE t COLUMNS TERMINATED BY "," (id, name)
                SET (score = id * 2)
            ) WITH BROKER
            """)
        let row = try await f.finished("multi")
        #expect(row["State"] == "FINISHED", "\(row["ErrorMsg"] ?? "")")
        #expect(row["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=0; dpp.norm.ALL=6")
        let details = try JSONSerialization.jsonObject(with: Data((row["JobDetails"] ?? "").utf8)) as? [String: Any]
        #expect(details?["FileNumber"] as? Int == 4)
        #expect(try f.run("SELECT id, name, score FROM t ORDER BY id").last == ["12", "Zed", "24"])
        #expect(try f.count() == "4")
        #expect(try f.run("SELECT count(*), sum(score) FROM scores") == [["2", "210"]])
        // A bad row in the last clause: the whole job is cancelled, no table changes.
        try f.write("bad/c.csv", "x,Bad,1\n")
        try f.run(
            """
            LOAD LABEL db.multi2 (
              DATA INFILE("file://\(f.data)/other/a.csv") INTO TABLE scores COLUMNS TERMINATED BY "|",
              DATA INFILE("file://\(f.data)/bad/c.csv") INTO TABLE t COLUMNS TERMINATED BY ","
            ) WITH BROKER
            """)
        let bad = try await f.finished("multi2")
        #expect(bad["ErrorMsg"] == "type:ETL_QUALITY_UNSATISFIED; msg:quality not good enough to cancel")
        #expect(bad["URL"]?.hasPrefix("http://127.0.0.1:8040/api/_load_error_log?file=") == true)
        // A bad first clause is caught when it ends, before the next one reads anything.
        try f.run(
            """
            LOAD LABEL db.multi3 (
              DATA INFILE("file://\(f.data)/bad/c.csv") INTO TABLE t COLUMNS TERMINATED BY ",",
              DATA INFILE("file://\(f.data)/other/a.csv") INTO TABLE scores COLUMNS TERMINATED BY "|"
            ) WITH BROKER
            """)
        #expect(
            try await f.finished("multi3")["ErrorMsg"]
                == "type:ETL_QUALITY_UNSATISFIED; msg:quality not good enough to cancel")
        #expect(try f.count() == "4")
        #expect(try f.run("SELECT count(*) FROM scores") == [["2"]])
        // Every clause is checked when the statement runs.
        let refused = #expect(throws: SQLError.self) {
            try f.run(
                "LOAD LABEL db.multi4 (DATA INFILE(\"file://\(f.data)/csv/*\") INTO TABLE t, DATA INFILE(\"file://\(f.data)/csv/*\") INTO TABLE nope) WITH BROKER"
            )
        }
        #expect(refused?.message == "Unknown table 'db.nope'")
        // The committed job and its rows survive a restart.
        try f.restart()
        #expect(try await f.finished("multi")["State"] == "FINISHED")
        #expect(try f.count() == "4")
        #expect(try f.run("SELECT count(*) FROM scores") == [["2"]])
    }

    @Test func parquetFilesLoadByColumnName() async throws {
        let f = try Fixture()
        let fixtures = ParquetReaderTests.fixtures
        // By extension; the file's columns matched to the table's by name.
        try f.run("LOAD LABEL db.pq1 (DATA INFILE(\"file://\(fixtures)/p.parquet\") INTO TABLE t) WITH BROKER")
        let row = try await f.finished("pq1")
        #expect(row["State"] == "FINISHED", "\(row["ErrorMsg"] ?? "")")
        #expect(row["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=0; dpp.norm.ALL=3")
        #expect(
            try f.run("SELECT id, name, score FROM t ORDER BY id") == [
                ["1", "Lily", "21"], ["2", "Rose", "22"], ["3", "Alice", "23"],
            ])
        // A column list (file names), SET and WHERE apply as for CSV; every logical type lands.
        try f.run(
            """
            CREATE TABLE typed (i32 INT, i64 BIGINT, d18 DECIMAL(27, 9), dt DATE, ts DATETIME, s VARCHAR(40),
              f64 DOUBLE, b BOOLEAN) DUPLICATE KEY(i32)
            """)
        try f.run(
            """
            LOAD LABEL db.pq2 (DATA INFILE("file://\(fixtures)/types-*.parquet") INTO TABLE typed FORMAT AS "parquet"
              (i32, i64, d18, dt, ts_us_utc, s, f64, b) SET (ts = ts_us_utc) WHERE i32 IS NOT NULL)
            WITH BROKER PROPERTIES ("timezone" = "UTC")
            """)
        let typed = try await f.finished("pq2")
        #expect(typed["State"] == "FINISHED", "\(typed["ErrorMsg"] ?? "")")
        #expect(typed["EtlInfo"] == "unselected.rows=4; dpp.abnorm.ALL=0; dpp.norm.ALL=16")
        #expect(
            try f.run("SELECT i32, i64, d18, dt, ts, s, f64, b FROM typed WHERE i32 = 2147483647 LIMIT 1") == [
                [
                    "2147483647", "9223372036854775807", "-1.000000000", "1970-01-01", "1970-01-01 00:00:00", "",
                    "-1e+300", "0",
                ]
            ])
        // A nested file and a file that is not Parquet cancel their jobs with the reason.
        try f.run("LOAD LABEL db.pq3 (DATA INFILE(\"file://\(fixtures)/nested.parquet\") INTO TABLE t) WITH BROKER")
        let nested = try await f.finished("pq3")
        #expect(nested["State"] == "CANCELLED")
        #expect(nested["ErrorMsg"]?.hasPrefix("type:LOAD_RUN_FAIL; msg:") == true)
        #expect(nested["ErrorMsg"]?.contains("Column 'tags' is nested") == true, "\(nested)")
        try f.write("bad/x.parquet", "1,Lily,21\n")
        try f.run("LOAD LABEL db.pq4 (DATA INFILE(\"file://\(f.data)/bad/x.parquet\") INTO TABLE t) WITH BROKER")
        #expect(try await f.finished("pq4")["ErrorMsg"]?.contains("is not a Parquet file") == true)
        // A table column the file lacks.
        try f.run("CREATE TABLE wide (id INT, name VARCHAR(20), score INT, extra INT) DUPLICATE KEY(id)")
        try f.run("LOAD LABEL db.pq5 (DATA INFILE(\"file://\(fixtures)/p.parquet\") INTO TABLE wide) WITH BROKER")
        #expect(
            try await f.finished("pq5")["ErrorMsg"]?.contains(
                "Column 'extra' is not in Parquet file") == true)
        #expect(try f.count() == "3")
    }

    /// `text` compressed by Python's standard library (`gzip` or `bz2`).
    static func compressed(_ text: String, _ module: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import \(module), sys; sys.stdout.buffer.write(\(module).compress(sys.stdin.buffer.read()))",
        ]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(text.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return data
    }

    @Test func compressedFilesLoadByExtension() async throws {
        let f = try Fixture()
        try FileManager.default.createDirectory(atPath: f.data + "/z", withIntermediateDirectories: true)
        // Two gzip members back to back (`cat a.gz b.gz`), and bzip2.
        var gz = try Self.compressed("1,Lily,21\n", "gzip")
        gz.append(try Self.compressed("2,Rose,22\n", "gzip"))
        try gz.write(to: URL(fileURLWithPath: f.data + "/z/a.csv.gz"))
        try Self.compressed("3,Alice,23\n", "bz2").write(to: URL(fileURLWithPath: f.data + "/z/b.csv.bz2"))
        try f.run(
            "LOAD LABEL db.z1 (DATA INFILE(\"file://\(f.data)/z/*\") INTO TABLE t COLUMNS TERMINATED BY \",\") WITH BROKER"
        )
        let row = try await f.finished("z1")
        #expect(row["State"] == "FINISHED", "\(row["ErrorMsg"] ?? "")")
        #expect(row["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=0; dpp.norm.ALL=3")
        // FILES() by extension and by property.
        let query =
            "SELECT count(*) FROM FILES(\"path\"=\"file://\(f.data)/z/a.csv.gz\",\"format\"=\"csv\",\"csv.column_separator\"=\",\")"
        #expect(try f.run(query) == [["2"]])
        try gz.write(to: URL(fileURLWithPath: f.data + "/z/plain-name"))
        #expect(
            try f.run(
                "SELECT $2 FROM FILES(\"path\"=\"file://\(f.data)/z/plain-name\",\"format\"=\"csv\",\"csv.column_separator\"=\",\",\"compression\"=\"gzip\") ORDER BY $1"
            ) == [["Lily"], ["Rose"]])
        // A cut file fails with the reason, nothing loaded.
        try gz.prefix(gz.count - 12).write(to: URL(fileURLWithPath: f.data + "/z/cut.csv.gz"))
        try f.run(
            "LOAD LABEL db.z2 (DATA INFILE(\"file://\(f.data)/z/cut.csv.gz\") INTO TABLE t COLUMNS TERMINATED BY \",\") WITH BROKER"
        )
        let cut = try await f.finished("z2")
        #expect(cut["State"] == "CANCELLED")
        #expect(
            cut["ErrorMsg"]?.contains("cut.csv.gz ends inside a gzip frame: the file is truncated") == true, "\(cut)")
        #expect(try f.count() == "3")
    }

    @Test func badStatementsAreRefusedWithTheReason() throws {
        let f = try Fixture()
        func refused(_ sql: String) -> String? {
            (#expect(throws: SQLError.self) { try f.run(sql) })?.message
        }
        let path = "file://\(f.data)/csv/*"
        #expect(
            refused("LOAD LABEL db.b1 (DATA INFILE(\"\(path)\") INTO TABLE nope) WITH BROKER")
                == "Unknown table 'db.nope'")
        #expect(
            refused("LOAD LABEL db.b1 (DATA INFILE(\"\(path)\") INTO TABLE t) WITH BROKER PROPERTIES(\"foo\"=\"1\")")
                == "Unknown property: foo")
        #expect(
            refused(
                "LOAD LABEL db.b1 (DATA INFILE(\"\(path)\") INTO TABLE t) WITH BROKER PROPERTIES(\"max_filter_ratio\"=\"2\")"
            ) == "max_filter_ratio must between 0.0 and 1.0. (got 2)")
        #expect(
            refused("LOAD LABEL db.b1 (DATA INFILE(\"\(path)\") INTO TABLE t FORMAT AS \"ORC\") WITH BROKER")
                == "ORC files are not supported: convert them to Parquet or CSV")
        #expect(
            refused("LOAD LABEL db.`bad label` (DATA INFILE(\"\(path)\") INTO TABLE t) WITH BROKER")?.hasPrefix(
                "Label format error") == true)
        #expect(refused("LOAD LABEL db.b1 (DATA INFILE(\"\(path)\") INTO TABLE t)")?.contains("WITH BROKER") == true)
        #expect(
            refused(
                "LOAD LABEL db.b1 (DATA INFILE(\"s3://b/x\") INTO TABLE t) WITH BROKER (\"aws.s3.enable_ssl\"=\"maybe\")"
            ) == "Invalid aws.s3.enable_ssl: 'maybe': write true or false")
        #expect(
            refused("LOAD LABEL db.b1 (DATA INFILE(\"\(path)\") INTO TABLE t (a, b) WHERE c > 1) WITH BROKER")?
                .hasPrefix("Invalid where 'c > 1'") == true)
        #expect(refused("CANCEL LOAD FROM db WHERE LABEL = \"nothing\"") == "Load job does not exist")
        #expect(refused("CANCEL LOAD FROM nodb WHERE LABEL = \"x\"") == "Db does not exist. name: nodb")
        #expect(try f.run("SHOW LOAD").isEmpty)
    }

    @Test func s3FilesLoadAndSlowJobsQueueAndCancel() async throws {
        let f = try Fixture(maxConcurrentJobs: 1)
        let server = try S3ServerProcess()
        let s3 = S3Files(settings: try S3Settings(properties: server.properties()))
        try s3.createBucket("sluice-test")
        try s3.put(bucket: "sluice-test", key: "csv/file1.csv", bytes: Array("1,Lily,21\n2,Rose,22\n".utf8))
        try s3.put(bucket: "sluice-test", key: "csv/file2.csv", bytes: Array("3,Alice,23\n".utf8))
        // Scenario 7: both objects in one job.
        try f.run(
            """
            LOAD LABEL db.l7 (DATA INFILE("s3://sluice-test/csv/*") INTO TABLE t COLUMNS TERMINATED BY ",")
            WITH BROKER (\(server.propertiesSQL())) PROPERTIES ("timeout" = "60")
            """)
        let loaded = try await f.finished("l7")
        #expect(loaded["State"] == "FINISHED", "\(loaded["ErrorMsg"] ?? "")")
        let details = try JSONSerialization.jsonObject(with: Data((loaded["JobDetails"] ?? "").utf8)) as? [String: Any]
        #expect(details?["FileNumber"] as? Int == 2)
        #expect(try f.count() == "3")
        // Credentials appear nowhere in what SHOW LOAD prints.
        #expect(!(try f.run("SHOW LOAD").flatMap { $0 }.contains { $0?.contains(server.secretKey) == true }))
        // A wrong secret: the job fails with S3's words.
        try f.run(
            """
            LOAD LABEL db.l7b (DATA INFILE("s3://sluice-test/csv/*") INTO TABLE t COLUMNS TERMINATED BY ",")
            WITH BROKER (\(server.propertiesSQL(secretKey: "wrong")))
            """)
        let denied = try await f.finished("l7b")
        #expect(denied["ErrorMsg"]?.hasPrefix("type:ETL_RUN_FAIL; msg:Failed to list s3://sluice-test/csv/") == true)
        #expect(denied["ErrorMsg"]?.contains("SignatureDoesNotMatch") == true, "\(denied)")
        // Scenario 6: a slowly served object keeps the job LOADING; the next job queues behind
        // it (one slot); CANCEL LOAD ends the first, the second then loads.
        try server.delayReads(milliseconds: 1500)
        try f.run(
            """
            LOAD LABEL db.l6 (DATA INFILE("s3://sluice-test/csv/file1.csv") INTO TABLE t COLUMNS TERMINATED BY ",")
            WITH BROKER (\(server.propertiesSQL()))
            """)
        try f.run(
            """
            LOAD LABEL db.l6b (DATA INFILE("s3://sluice-test/csv/file2.csv") INTO TABLE t COLUMNS TERMINATED BY ",")
            WITH BROKER (\(server.propertiesSQL()))
            """)
        #expect(try f.run("SHOW LOAD WHERE LABEL = \"l6b\"").first?[2] == "QUEUEING")
        try f.run("CANCEL LOAD FROM db WHERE LABEL = \"l6\"")
        let again = #expect(throws: SQLError.self) { try f.run("CANCEL LOAD FROM db WHERE LABEL = \"l6\"") }
        #expect(again?.message == "There is no uncompleted job which label is l6")
        let cancelled = try await f.finished("l6")
        #expect(cancelled["State"] == "CANCELLED")
        #expect(cancelled["ErrorMsg"] == "type:USER_CANCEL; msg:user cancel")
        try server.delayReads(milliseconds: 0)
        #expect(try await f.finished("l6b")["State"] == "FINISHED")
        #expect(try f.count() == "4")
        let unknown = #expect(throws: SQLError.self) { try f.run("CANCEL LOAD FROM db WHERE LABEL = \"zz\"") }
        #expect(unknown?.message == "Load job does not exist")
    }
}

/// SHOW LOAD's column names (as the executor declares them).
enum BrokerLoadExecutionColumns {
    static let names = [
        "JobId", "Label", "State", "Progress", "Type", "Priority", "EtlInfo", "TaskInfo", "ErrorMsg", "CreateTime",
        "EtlStartTime", "EtlFinishTime", "LoadStartTime", "LoadFinishTime", "URL", "JobDetails",
    ]
}
