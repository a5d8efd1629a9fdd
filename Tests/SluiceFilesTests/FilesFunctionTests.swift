import Foundation
import SluiceFiles
import SluiceIO
import SluiceSQL
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// FILES() through the SQL executor (spec C.6 scenarios 8–12): queries, INSERT, CREATE TABLE AS
/// SELECT and DESC over local files and a real S3-compatible server.
@Suite(.serialized) struct FilesFunctionTests {
    static let fixtures = ParquetReaderTests.fixtures

    final class Fixture: @unchecked Sendable {
        let root = makeTemporaryDirectory("sluice-files")
        let fs = PosixFileSystem()
        let engine: StorageEngine
        var executor: SQLExecutor
        var session = Session(database: "db", nowMicros: 1_700_000_000_000_000)
        var data: String { root + "/sl" }

        init() throws {
            engine = try StorageEngine(path: root + "/engine", fileSystem: fs)
            executor = SQLExecutor(engine: engine, transactions: TransactionManager(engine: engine))
            try run("CREATE DATABASE db")
            try run("CREATE TABLE t (id INT, name VARCHAR(20), score INT) DUPLICATE KEY(id)")
            try write("csv/file1.csv", "1,Lily,21\n2,Rose,22\n")
            try write("csv/file2.csv", "3,Alice,23\n")
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

        func columns(_ sql: String) throws -> [String] {
            guard case .rows(let result, _) = try executor.execute(sql, session: session) else { return [] }
            return result.columns.map(\.name)
        }

        deinit {
            engine.close()
            try? fs.removeTree(root)
        }
    }

    @Test func csvQueriesAndTypes() throws {
        let f = try Fixture()
        let query =
            "FILES(\"path\"=\"file://\(f.data)/csv/file1.csv\",\"format\"=\"csv\",\"csv.column_separator\"=\",\")"
        // Scenario 8: columns $1, $2, $3.
        #expect(try f.columns("SELECT * FROM \(query)") == ["$1", "$2", "$3"])
        #expect(try f.run("SELECT * FROM \(query)") == [["1", "Lily", "21"], ["2", "Rose", "22"]])
        #expect(
            try f.run("DESC \(query)") == [
                ["$1", "bigint(20)", "YES"], ["$2", "varchar(2147482624)", "YES"], ["$3", "bigint(20)", "YES"],
            ])
        // Globs over several files, expressions, WHERE, aggregates.
        let all = "FILES(\"path\"=\"file://\(f.data)/csv/*\",\"format\"=\"csv\",\"csv.column_separator\"=\",\")"
        #expect(try f.run("SELECT count(*), sum($3) FROM \(all)") == [["3", "66"]])
        #expect(try f.run("SELECT upper($2) FROM \(all) WHERE $1 > 1 ORDER BY $1") == [["ROSE"], ["ALICE"]])
        // Detection off: every column a string.
        #expect(
            try f.run(
                "DESC FILES(\"path\"=\"file://\(f.data)/csv/file1.csv\",\"format\"=\"csv\",\"csv.column_separator\"=\",\",\"auto_detect_types\"=\"false\")"
            ).map { $0[1] } == ["varchar(2147482624)", "varchar(2147482624)", "varchar(2147482624)"])
        // INSERT … SELECT from FILES().
        try f.run("INSERT INTO t SELECT * FROM \(all)")
        #expect(try f.run("SELECT count(*) FROM t") == [["3"]])
    }

    @Test func parquetInsertDescribeAndUnion() throws {
        let f = try Fixture()
        let p = "FILES(\"path\"=\"file://\(Self.fixtures)/p.parquet\",\"format\"=\"parquet\")"
        // Scenario 9.
        #expect(
            try f.run("DESC \(p)") == [
                ["id", "int(11)", "YES"], ["name", "varchar(2147482624)", "YES"], ["score", "int(11)", "YES"],
            ])
        guard case .ok(let statistics) = try f.executor.execute("INSERT INTO t SELECT * FROM \(p)", session: f.session)
        else { Issue.record("INSERT returned rows"); return }
        #expect(statistics.affectedRows == 3)
        #expect(statistics.dml?.label.hasPrefix("insert_") == true && statistics.dml?.transactionID != nil)
        #expect(
            try f.run("SELECT id, name, score FROM t ORDER BY id") == [
                ["1", "Lily", "21"], ["2", "Rose", "22"], ["3", "Alice", "23"],
            ])
        // Scenario 10: FLOAT ∪ INT is DECIMAL(38, 9); CTAS creates that column.
        try f.run(
            "CREATE TABLE u AS SELECT * FROM FILES(\"path\"=\"file://\(Self.fixtures)/u/*.parquet\",\"format\"=\"parquet\")"
        )
        #expect(try f.run("DESC u").map { [$0[0], $0[1]] } == [["c1", "int"], ["c2", "decimal(38,9)"]])
        #expect(
            try f.run("SELECT c1, c2 FROM u ORDER BY c1") == [
                ["1", "1.500000000"], ["2", "2.250000000"], ["3", "4.000000000"],
            ])
        // Projection and row-group pruning on a file of four row groups.
        let groups = "FILES(\"path\"=\"file://\(Self.fixtures)/groups.parquet\",\"format\"=\"parquet\")"
        guard
            case .rows(let result, let scan) = try f.executor.execute(
                "SELECT count(*), max(amount) FROM \(groups) WHERE id >= 9500", session: f.session)
        else { Issue.record("no rows"); return }
        #expect(result.textRows == [["500", "4999.5"]])
        #expect(scan.scanRows == 1000, "only the last row group is read")
        #expect(try f.run("SELECT city, count(*) FROM \(groups) GROUP BY city ORDER BY city").count == 4)
    }

    @Test func columnsFromPathAreColumnsOfEachFile() throws {
        let f = try Fixture()
        try f.write("hive/city=beijing/a.csv", "1,10\n2,20\n")
        try f.write("hive/city=shanghai/b.csv", "3,30\n")
        let csv =
            "FILES(\"path\"=\"file://\(f.data)/hive/*/*.csv\",\"format\"=\"csv\",\"csv.column_separator\"=\",\",\"columns_from_path\"=\"city\")"
        #expect(
            try f.run("DESC \(csv)") == [
                ["$1", "bigint(20)", "YES"], ["$2", "bigint(20)", "YES"], ["city", "varchar(2147482624)", "YES"],
            ])
        #expect(
            try f.run("SELECT * FROM \(csv) ORDER BY $1") == [
                ["1", "10", "beijing"], ["2", "20", "beijing"], ["3", "30", "shanghai"],
            ])
        #expect(
            try f.run("SELECT city, sum($2) FROM \(csv) WHERE city = 'beijing' GROUP BY city") == [["beijing", "30"]])
        try f.run("CREATE TABLE v (id INT, n INT, city VARCHAR(20)) DUPLICATE KEY(id)")
        try f.run("INSERT INTO v SELECT $1, $2, city FROM \(csv)")
        #expect(
            try f.run("SELECT city, count(*) FROM v GROUP BY city ORDER BY city") == [
                ["beijing", "2"], ["shanghai", "1"],
            ])
        // Parquet: after the file's columns; a file outside the layout fails with the reason.
        try FileManager.default.createDirectory(atPath: f.data + "/pq/city=sz", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures + "/p.parquet", toPath: f.data + "/pq/city=sz/p.parquet")
        let pq =
            "FILES(\"path\"=\"file://\(f.data)/pq/*/*\",\"format\"=\"parquet\",\"columns_from_path\"=\"city\")"
        #expect(try f.columns("SELECT * FROM \(pq)") == ["id", "name", "score", "city"])
        #expect(try f.run("SELECT id, city FROM \(pq) WHERE id > 2") == [["3", "sz"]])
        let outside =
            "FILES(\"path\"=\"file://\(Self.fixtures)/p.parquet\",\"format\"=\"parquet\",\"columns_from_path\"=\"city\")"
        let failure = #expect(throws: SQLError.self) { try f.run("SELECT * FROM \(outside)") }
        #expect(failure?.message.hasPrefix("Fail to parse columnsFromPath, expected: city, filePath: ") == true)
        let duplicate = #expect(throws: SQLError.self) {
            try f.run(
                "SELECT * FROM FILES(\"path\"=\"file://\(f.data)/pq/*/*\",\"format\"=\"parquet\",\"columns_from_path\"=\"id\")"
            )
        }
        #expect(duplicate?.message.contains("also a column of the files") == true)
        // INSERT of plain columns with the path's runs as a file load (a ragged CSV row is a bad
        // row there), Parquet `SELECT *` included.
        try f.write("hive2/city=gz/c.csv", "4,40\n5\n")
        let ragged = #expect(throws: SQLError.self) {
            try f.run(
                "INSERT INTO v SELECT $1, $2, city FROM FILES(\"path\"=\"file://\(f.data)/hive2/*/*.csv\",\"format\"=\"csv\",\"csv.column_separator\"=\",\",\"columns_from_path\"=\"city\")"
            )
        }
        #expect(ragged?.message.contains("Value count does not match column count") == true)
        try f.run("CREATE TABLE pc (id INT, name VARCHAR(20), score INT, city VARCHAR(20)) DUPLICATE KEY(id)")
        try f.run("INSERT INTO pc SELECT * FROM \(pq)")
        #expect(try f.run("SELECT city, count(*), sum(score) FROM pc GROUP BY city") == [["sz", "3", "66"]])
    }

    /// INSERT … SELECT and CREATE TABLE AS SELECT stream: the rows never sit in memory at once,
    /// so they load under a query memory limit far below the data's size (which a sorting query
    /// over the same files exceeds).
    @Test func insertFromFilesStreamsUnderTheMemoryLimit() throws {
        let f = try Fixture()
        var text = ""
        for i in 0..<150_000 { text += "\(i),name-\(i % 977),\(i % 100)\n" }
        try f.write("big/rows.csv", text)
        f.session.queryMemoryLimit = 1 << 20
        let big =
            "FILES(\"path\"=\"file://\(f.data)/big/rows.csv\",\"format\"=\"csv\",\"csv.column_separator\"=\",\")"
        let sorted = #expect(throws: SQLError.self) { try f.run("SELECT * FROM \(big) ORDER BY $2") }
        #expect(sorted?.message.contains("query_mem_limit") == true)
        try f.run("INSERT INTO t SELECT * FROM \(big)")
        try f.run("CREATE TABLE copy AS SELECT $1 AS id, $3 AS score FROM \(big) WHERE $3 < 50")
        f.session.queryMemoryLimit = 1 << 30
        #expect(try f.run("SELECT count(*), sum(score) FROM t") == [["150000", "7425000"]])
        #expect(try f.run("SELECT count(*), max(score) FROM copy") == [["75000", "49"]])
        // Strict mode names the statement's row, counted across batches.
        try f.run("CREATE TABLE narrow (id INT, code TINYINT) DUPLICATE KEY(id)")
        let strict = #expect(throws: SQLError.self) {
            try f.run("INSERT INTO narrow SELECT $1, CASE WHEN $1 = 120000 THEN 300 ELSE 1 END FROM \(big)")
        }
        #expect(
            strict?.message
                == "Insert has filtered data in strict mode: value '300' of row 120001 cannot be converted to tinyint(4) for column 'code'",
            "\(String(describing: strict))")
        #expect(try f.run("SELECT count(*) FROM narrow") == [["0"]])
    }

    /// `INSERT … SELECT * | columns FROM FILES()` runs as a file load: a CSV row whose field
    /// count differs from the inferred columns is a bad row (as StarRocks' FILES() has it), failing
    /// a strict INSERT with the error log's URL, left out and counted otherwise.
    @Test func plainFileColumnsInsertAsAFileLoad() throws {
        let f = try Fixture()
        try f.write("ragged/a.csv", "1,Lily,21\n2,Rose,22\n3,Alice,23\n4,Ann\n")
        let ragged =
            "FILES(\"path\"=\"file://\(f.data)/ragged/a.csv\",\"format\"=\"csv\",\"csv.column_separator\"=\",\")"
        let strict = #expect(throws: SQLError.self) { try f.run("INSERT INTO t SELECT * FROM \(ragged)") }
        #expect(
            strict?.message.hasPrefix(
                "Insert has filtered data in strict mode: Error: Value count does not match column count. Expect 3, but got 2"
            ) == true, "\(String(describing: strict))")
        f.executor.errorLogURL = { "http://127.0.0.1:8040/api/_load_error_log?file=\($0)" }
        let tracked = #expect(throws: SQLError.self) { try f.run("INSERT INTO t SELECT $1, $2, $3 FROM \(ragged)") }
        #expect(
            tracked?.message.hasPrefix(
                "Insert has filtered data in strict mode, tracking_url=http://127.0.0.1:8040/api/_load_error_log?file=")
                == true, "\(String(describing: tracked))")
        #expect(try f.run("SELECT count(*) FROM t") == [["0"]])
        f.session.insertStrict = false
        guard
            case .ok(let statistics) = try f.executor.execute(
                "INSERT INTO t SELECT * FROM \(ragged)", session: f.session)
        else { Issue.record("INSERT returned rows"); return }
        #expect(statistics.affectedRows == 3 && statistics.dml?.filteredRows == 1)
        // A column list picks positions; the table's other columns take their defaults (the
        // ragged row is still left out: non-strict).
        try f.run("CREATE TABLE picked (name VARCHAR(20), id INT, extra INT DEFAULT '7') DUPLICATE KEY(name)")
        try f.run("INSERT INTO picked (id, name) SELECT $1, $2 FROM \(ragged)")
        #expect(
            try f.run("SELECT name, id, extra FROM picked ORDER BY id") == [
                ["Lily", "1", "7"], ["Rose", "2", "7"], ["Alice", "3", "7"],
            ])
        // Parquet columns by name, into a table whose columns are in another order.
        try f.run("CREATE TABLE reordered (score INT, id INT, name VARCHAR(20)) DUPLICATE KEY(score)")
        try f.run(
            "INSERT INTO reordered (id, name, score) SELECT * FROM FILES(\"path\"=\"file://\(Self.fixtures)/p.parquet\",\"format\"=\"parquet\")"
        )
        #expect(
            try f.run("SELECT id, name, score FROM reordered ORDER BY id") == [
                ["1", "Lily", "21"], ["2", "Rose", "22"], ["3", "Alice", "23"],
            ])
    }

    @Test func listingAndBadProperties() throws {
        let f = try Fixture()
        // Scenario 11.
        let listed = try f.run("SELECT * FROM FILES(\"path\"=\"file://\(f.data)/csv/*\",\"list_files_only\"=\"true\")")
        #expect(
            listed.map { [$0[0], $0[1], $0[2]] } == [
                ["\(f.data)/csv/file1.csv", "20", "0"], ["\(f.data)/csv/file2.csv", "11", "0"],
            ])
        #expect(listed.allSatisfy { $0[3]?.count == 19 })
        try f.write("csv/deeper/file3.csv", "4,Bo,1\n")
        let recursive = try f.run(
            "SELECT path, size, is_dir FROM FILES(\"path\"=\"file://\(f.data)/\",\"list_files_only\"=\"true\",\"list_recursively\"=\"true\")"
        )
        #expect(recursive.contains { $0 == ["\(f.data)/csv/deeper", "0", "1"] })
        #expect(recursive.contains { $0 == ["\(f.data)/csv/deeper/file3.csv", "7", "0"] })
        func refused(_ sql: String) -> SQLError? { #expect(throws: SQLError.self) { try f.run(sql) } }
        // Scenario 12: no JSON in FILES().
        let json = refused("SELECT * FROM FILES(\"path\"=\"file://\(f.data)/csv/*\",\"format\"=\"json\")")
        #expect(json?.code == .analysis && json?.message.contains("Unsupported format 'json'") == true)
        let missing = refused("SELECT * FROM FILES(\"path\"=\"file://\(f.data)/none/*\",\"format\"=\"csv\")")
        #expect(missing?.code == .filesNotFound)
        #expect(missing?.message.hasPrefix("No files were found matching the pattern(s) or path(s): 'file://") == true)
        #expect(refused("SELECT * FROM FILES(\"format\"=\"csv\")")?.message.contains("needs \"path\"") == true)
        #expect(
            refused("SELECT * FROM FILES(\"path\"=\"file:///x\",\"format\"=\"csv\",\"bogus\"=\"1\")")?.message
                == "Unknown property 'bogus' of FILES(): use path, format, csv.* or aws.s3.* properties")
        let notParquet = refused(
            "SELECT * FROM FILES(\"path\"=\"file://\(f.data)/csv/file1.csv\",\"format\"=\"parquet\")")
        #expect(notParquet?.message.contains("is not a Parquet file") == true)
    }

    @Test func s3FilesAndPrivileges() throws {
        let f = try Fixture()
        let server = try S3ServerProcess()
        let s3 = S3Files(settings: try S3Settings(properties: server.properties()))
        try s3.createBucket("sluice-test")
        try s3.put(
            bucket: "sluice-test", key: "pq/p.parquet",
            bytes: Array(try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/p.parquet"))))
        let query =
            "FILES(\"path\"=\"s3://sluice-test/pq/*.parquet\",\"format\"=\"parquet\", \(server.propertiesSQL()))"
        #expect(try f.run("SELECT name FROM \(query) WHERE score >= 22 ORDER BY id") == [["Rose"], ["Alice"]])
        // A user without the FILE privilege reads S3 (its own credentials) but not the server's files.
        try f.run("CREATE USER ann IDENTIFIED BY 'pw'")
        try f.run("GRANT SELECT ON ALL TABLES IN ALL DATABASES TO ann")
        f.session.identity = UserIdentity("ann")
        f.session.activeRoles = []
        #expect(try f.run("SELECT count(*) FROM \(query)") == [["3"]])
        let denied = #expect(throws: SQLError.self) {
            try f.run("SELECT * FROM FILES(\"path\"=\"file:///etc/passwd\",\"format\"=\"csv\")")
        }
        #expect(denied?.code == .accessDenied)
    }
}
