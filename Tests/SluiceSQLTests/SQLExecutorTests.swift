import SluiceFormat
import SluiceIO
import SluiceSQL
import SluiceStorage
import SluiceTesting
import Testing

/// Runs statements against an in-memory engine.
struct SQLHarness {
    let engine: StorageEngine
    let executor: SQLExecutor

    init() throws {
        engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        executor = SQLExecutor(engine: engine)
        _ = try executor.execute("CREATE DATABASE db", session: session)
    }

    var session: Session { Session(database: "db", nowMicros: 1_700_000_000_000_000) }

    @discardableResult
    func run(_ sql: String) throws -> [[String?]] {
        switch try executor.execute(sql, session: session) {
        case .rows(let result, _): return result.textRows
        case .ok: return []
        }
    }

    /// The message of the statement's error, or nil if it succeeds.
    func failure(_ sql: String) -> String? {
        do {
            try run(sql)
            return nil
        } catch {
            return (error as? SQLError)?.message ?? "\(error)"
        }
    }

    func statistics(_ sql: String) throws -> QueryStatistics {
        switch try executor.execute(sql, session: session) {
        case .rows(_, let s), .ok(let s): return s
        }
    }
}

@Suite struct SQLExecutorTests {
    static let createEvents = """
        CREATE TABLE events (
            id BIGINT NOT NULL,
            day DATE,
            country VARCHAR(16),
            amount DECIMAL(10, 2),
            note STRING DEFAULT "none"
        ) DUPLICATE KEY(id)
        PARTITION BY RANGE(day) (
            PARTITION p202401 VALUES LESS THAN ("2024-02-01"),
            PARTITION p202402 VALUES LESS THAN ("2024-03-01"),
            PARTITION pmax VALUES LESS THAN (MAXVALUE)
        )
        DISTRIBUTED BY HASH(id) BUCKETS 4
        PROPERTIES ("replication_num" = "1");
        """

    @Test func insertsAndAggregatesGeneratedRows() throws {
        let h = try SQLHarness()
        try h.run(Self.createEvents)
        try h.run(
            """
            INSERT INTO events (id, day, country, amount)
            SELECT generate_series, date_trunc('day', '2024-01-01') , concat('c', generate_series % 5), generate_series % 100 + 0.25
            FROM TABLE(generate_series(1, 10000))
            """)
        #expect(try h.run("SELECT count(*) FROM events") == [["10000"]])
        var expected = [String: (Int, Int)]()
        for i in 1...10000 {
            let key = "c\(i % 5)"
            expected[key, default: (0, 0)].0 += 1
            expected[key, default: (0, 0)].1 += (i % 100) * 100 + 25
        }
        let rows = try h.run("SELECT country, count(*), sum(amount) FROM events GROUP BY country ORDER BY country")
        #expect(rows.count == 5)
        for row in rows {
            let (count, cents) = expected[row[0]!]!
            #expect(row[1] == String(count))
            #expect(row[2] == "\(cents / 100).\(String(format2: cents % 100))")
        }
        #expect(try h.run("SELECT max(id), min(id), avg(id) FROM events") == [["10000", "1", "5000.5"]])
        #expect(try h.run("SELECT id FROM events WHERE id > 9997 ORDER BY id DESC") == [["10000"], ["9999"], ["9998"]])
        #expect(try h.run("SELECT count(DISTINCT country) FROM events") == [["5"]])
        #expect(try h.run("SELECT note FROM events LIMIT 1") == [["none"]])
        #expect(try h.run("SELECT country, count(*) c FROM events GROUP BY country HAVING c > 2000 ORDER BY 1") == [])
        #expect(try h.run("SELECT id FROM events ORDER BY id LIMIT 2 OFFSET 3") == [["4"], ["5"]])
        #expect(try h.run("SELECT DISTINCT country FROM events ORDER BY country LIMIT 2") == [["c0"], ["c1"]])
    }

    /// GROUP BY a string read from dictionary pages (codes mapped to groups once per page) and from
    /// plain pages (hashed per row) give the same groups, NULL included, across pages, segments and
    /// loads; a WHERE (rows gathered, codes dropped) too.
    @Test func groupingOnDictionaryPagesMatchesPerRowHashing() throws {
        let h = try SQLHarness()
        try h.run(
            "CREATE TABLE g (id BIGINT, tag VARCHAR(16), label STRING) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 3"
        )
        for (start, end) in [(1, 30_000), (30_001, 50_000)] {
            // `tag`: 7 values and NULL (dictionary pages); `label`: mostly distinct (plain pages).
            try h.run(
                """
                INSERT INTO g SELECT generate_series, if(generate_series % 11 = 0, NULL, concat('t', generate_series % 7)),
                concat('l', generate_series % 20000) FROM TABLE(generate_series(\(start), \(end)))
                """)
        }
        var expected = [String: Int]()
        var filtered = [String: Int]()
        for i in 1...50_000 {
            let key = i % 11 == 0 ? "NULL" : "t\(i % 7)"
            expected[key, default: 0] += 1
            if i % 3 == 0 { filtered[key, default: 0] += 1 }
        }
        func groups(_ sql: String) throws -> [String: Int] {
            Dictionary(uniqueKeysWithValues: try h.run(sql).map { ($0[0] ?? "NULL", Int($0[1]!)!) })
        }
        #expect(try groups("SELECT tag, count(*) FROM g GROUP BY tag") == expected)
        #expect(try groups("SELECT tag, count(*) FROM g WHERE id % 3 = 0 GROUP BY tag") == filtered)
        let labels = try groups("SELECT label, count(*) FROM g GROUP BY label")
        #expect(labels.count == 20_000)
        #expect(labels["l1"] == 3 && labels["l0"] == 2)
        #expect(try h.run("SELECT count(DISTINCT tag) FROM g") == [["7"]])
    }

    @Test func selectWithoutFromAndExactDecimals() throws {
        let h = try SQLHarness()
        #expect(try h.run("SELECT 1") == [["1"]])
        #expect(try h.run("SELECT 0.1 + 0.2 = 0.3, 0.1 + 0.2") == [["1", "0.3"]])
        #expect(try h.run("SELECT now() IS NOT NULL") == [["1"]])
    }

    @Test func ddlAndShowStatements() throws {
        let h = try SQLHarness()
        try h.run(Self.createEvents)
        #expect(try h.run("SHOW TABLES") == [["events"]])
        #expect(try h.run("SHOW DATABASES") == [["db"], ["information_schema"]])
        let desc = try h.run("DESC events")
        #expect(desc.map { $0[0] } == ["id", "day", "country", "amount", "note"])
        #expect(desc[0][2] == "NO")
        #expect(try h.run("SHOW PARTITIONS FROM events").map { $0[1] } == ["p202401", "p202402", "pmax"])
        #expect(try h.run("SHOW TABLET FROM db.events").count == 12)
        try h.run("ALTER TABLE events DROP PARTITION pmax")
        try h.run("ALTER TABLE events ADD PARTITION p202403 VALUES LESS THAN (\"2024-04-01\")")
        #expect(try h.run("SHOW PARTITIONS FROM events").map { $0[1] } == ["p202401", "p202402", "p202403"])
        let create = try h.run("SHOW CREATE TABLE events")[0][1]!
        #expect(create.contains("DUPLICATE KEY(`id`)"))
        try h.run("INSERT INTO events VALUES (1, '2024-01-05', 'CN', 1.50, 'x'), (2, '2024-02-05', 'US', 2.50, 'y')")
        #expect(try h.run("SELECT count(*) FROM events") == [["2"]])
        try h.run("TRUNCATE TABLE events")
        #expect(try h.run("SELECT count(*) FROM events") == [["0"]])
        try h.run("DROP TABLE events")
        #expect(try h.run("SHOW TABLES") == [])
        try h.run("DROP TABLE IF EXISTS events")
        try h.run("CREATE DATABASE IF NOT EXISTS db")
    }

    @Test func expressionPartitionsAreCreatedOnDemand() throws {
        let h = try SQLHarness()
        try h.run(
            "CREATE TABLE logs (ts DATETIME NOT NULL, msg VARCHAR(20)) PARTITION BY date_trunc('day', ts) DISTRIBUTED BY RANDOM BUCKETS 1"
        )
        try h.run(
            "INSERT INTO logs VALUES ('2024-05-01 10:00:00', 'a'), ('2024-05-02 11:00:00', 'b'), ('2024-05-02 12:00:00', 'c')"
        )
        #expect(try h.run("SHOW PARTITIONS FROM logs").map { $0[1] } == ["p20240501", "p20240502"])
        #expect(try h.run("SELECT count(*) FROM logs WHERE ts >= '2024-05-02'") == [["2"]])
    }

    @Test func badStatementsNameTheProblem() throws {
        let h = try SQLHarness()
        try h.run(Self.createEvents)
        func message(_ sql: String) -> String {
            do {
                try h.run(sql)
                return "no error"
            } catch let error as SQLError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(message("SELEC 1").contains("position 0"))
        #expect(message("SELECT nope FROM events").contains("nope"))
        #expect(message("SELECT * FROM missing").contains("missing"))
        #expect(message("SELECT country, id FROM events GROUP BY country").contains("'id'"))
        #expect(message("INSERT INTO events (id) VALUES ('abc')").contains("strict mode"))
        #expect(message("INSERT INTO events (day) VALUES ('2024-01-01')").contains("'id'"))
        #expect(message("CREATE TABLE events (a INT)").contains("already exists"))
        #expect(
            message("CREATE TABLE t2 (a INT) PRIMARY KEY(a)")
                == "The number of key columns should be less than the number of columns.")
    }

    @Test func zoneMapsLimitScannedRows() throws {
        let h = try SQLHarness()
        try h.run("CREATE TABLE n (k BIGINT, v INT) DUPLICATE KEY(k) DISTRIBUTED BY HASH(k) BUCKETS 1")
        try h.run("INSERT INTO n SELECT generate_series, generate_series % 7 FROM TABLE(generate_series(1, 200000))")
        let stats = try h.statistics("SELECT count(*) FROM n WHERE k BETWEEN 1000 AND 2999")
        #expect(try h.run("SELECT count(*) FROM n WHERE k BETWEEN 1000 AND 2999") == [["2000"]])
        #expect(stats.scanRows < 20_000)
    }
}

extension String {
    init(format2 value: Int) { self = value < 10 ? "0\(value)" : "\(value)" }
}

@Suite struct ShowTransactionTests {
    @Test func listsCommittedAndPreparedTransactionsWithAttachments() throws {
        let h = try SQLHarness()
        try h.run("CREATE TABLE t (i INT)")
        try h.run("INSERT INTO t WITH LABEL `job-a` VALUES (1)")
        let writer = try h.engine.makeWriter(database: "db", table: "t")
        _ = try writer.append([SluiceFormat.ColumnVector(type: .int, ints: [2])])
        try h.engine.commit(try writer.finish(), label: "job-b", attachment: Array("{\"0\":41}".utf8))
        let second = try h.engine.makeWriter(database: "db", table: "t")
        _ = try second.append([SluiceFormat.ColumnVector(type: .int, ints: [3])])
        _ = try h.engine.prepare(
            try second.finish(), label: "job-c", transactionID: h.engine.allocateID(), timeoutSeconds: 60)
        let rows = try h.run("SHOW TRANSACTION WHERE LABEL LIKE 'job-%'")
        #expect(rows.map { $0[1] } == ["job-c", "job-b", "job-a"])
        #expect(rows.map { $0[2] } == ["PREPARED", "VISIBLE", "VISIBLE"])
        #expect(rows[1][5] == "{\"0\":41}")
        #expect(try h.run("SHOW TRANSACTION FROM db WHERE LABEL = 'job-a'").count == 1)
        #expect(try h.run("SHOW LOAD WHERE LABEL = 'job-c'").map { $0[2] } == ["PREPARED"])
    }
}

@Suite struct ScanPrefetchTests {
    /// Pages are decoded on a prefetch thread: a damaged segment still fails the query with the
    /// corruption error naming the file, later queries on other tables work, and repeated
    /// queries leave no reader behind (each one ends its prefetch thread).
    @Test func corruptionCrossesThePrefetchThreadAndQueriesKeepWorking() throws {
        let fs = SimulatedFileSystem()
        let dir = "/data"
        let engine = try StorageEngine(path: dir, fileSystem: fs)
        let executor = SQLExecutor(engine: engine)
        let session = Session(database: "db", nowMicros: 0)
        func run(_ sql: String) throws -> [[String?]] {
            if case .rows(let result, _) = try executor.execute(sql, session: session) { return result.textRows }
            return []
        }
        _ = try executor.execute("CREATE DATABASE db", session: Session(nowMicros: 0))
        _ = try run("CREATE TABLE good (id BIGINT) DISTRIBUTED BY HASH(id) BUCKETS 1")
        _ = try run("CREATE TABLE bad (id BIGINT) DISTRIBUTED BY HASH(id) BUCKETS 1")
        _ = try run("INSERT INTO good SELECT generate_series FROM TABLE(generate_series(1, 30000))")
        _ = try run("INSERT INTO bad SELECT generate_series FROM TABLE(generate_series(1, 30000))")
        let table = try engine.table(database: "db", name: "bad")
        let tablet = table.partitions[0].tablets[0].id
        let rowsetDirectory = "\(dir)/tablets/\(tablet)"
        let rowset = try fs.listDirectory(rowsetDirectory).first!
        let path = "\(rowsetDirectory)/\(rowset)/0.seg"
        var bytes = try fs.readFile(path)
        bytes[bytes.count / 2] ^= 0xFF
        let file = try fs.createFile(path)
        try file.append(bytes)
        try file.close()
        #expect(throws: SQLError.self) { try run("SELECT sum(id) FROM bad") }
        do {
            _ = try run("SELECT sum(id) FROM bad")
        } catch let error as SQLError {
            #expect(error.message.contains(path), "\(error.message)")
        }
        for _ in 0..<50 { #expect(try run("SELECT count(*), sum(id) FROM good") == [["30000", "450015000"]]) }
    }
}
