import Foundation
import SluiceFiles
import SluiceIO
import SluiceSQL
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// Pipes in one process (spec C.6 scenarios 13–16, 18) against a real S3-compatible server:
/// one-shot and continuous ingestion, exactly once per file version, suspend and resume, error
/// files and retries.
@Suite(.serialized) struct PipeTests {
    final class Fixture: @unchecked Sendable {
        let root = makeTemporaryDirectory("sluice-pipe")
        let engine: StorageEngine
        let manager: PipeManager
        let executor: SQLExecutor
        let server: S3ServerProcess
        let s3: S3Files
        let session = Session(database: "db", nowMicros: 1_700_000_000_000_000)

        init() throws {
            engine = try StorageEngine(path: root + "/engine", fileSystem: PosixFileSystem())
            var executor = SQLExecutor(engine: engine, transactions: TransactionManager(engine: engine))
            manager = PipeManager(engine: engine, runner: SQLPipeTaskRunner(executor: executor))
            executor.pipes = manager
            self.executor = executor
            manager.start()
            server = try S3ServerProcess()
            s3 = S3Files(settings: try S3Settings(properties: server.properties()))
            try s3.createBucket("sluice-test")
            try put("csv/file1.csv", "1,Lily,21\n2,Rose,22\n")
            try put("csv/file2.csv", "3,Alice,23\n")
            try run("CREATE DATABASE db")
            try run("CREATE TABLE t (id INT NOT NULL, name VARCHAR(20), score INT) DUPLICATE KEY(id)")
        }

        func put(_ key: String, _ text: String) throws {
            try s3.put(bucket: "sluice-test", key: key, bytes: Array(text.utf8))
        }

        @discardableResult
        func run(_ sql: String) throws(SQLError) -> [[String?]] {
            switch try executor.execute(sql, session: session) {
            case .rows(let result, _): return result.textRows
            case .ok: return []
            }
        }

        /// SHOW PIPES' row of `name`, by column.
        func pipe(_ name: String) throws -> [String: String] {
            let rows = try run("SHOW PIPES WHERE NAME = '\(name)'")
            guard let row = rows.first else { return [:] }
            return Dictionary(
                uniqueKeysWithValues: zip(
                    [
                        "DATABASE_NAME", "PIPE_ID", "PIPE_NAME", "STATE", "TABLE_NAME", "LOAD_STATUS", "LAST_ERROR",
                        "CREATED_TIME",
                    ],
                    row.map { $0 ?? "NULL" }))
        }

        func files(_ name: String) throws -> [[String?]] {
            try run(
                "SELECT FILE_NAME, FILE_VERSION, LOAD_STATE, ERROR_MSG FROM information_schema.pipe_files "
                    + "WHERE PIPE_NAME = '\(name)' ORDER BY FILE_NAME, STAGED_TIME")
        }

        func count() throws -> String? { try run("SELECT count(*) FROM t").first?.first ?? nil }

        func source(_ path: String, extra: String = "") -> String {
            "FILES(\"path\"=\"s3://sluice-test/\(path)\",\"format\"=\"csv\",\"csv.column_separator\"=\",\", "
                + server.propertiesSQL() + extra + ")"
        }

        deinit {
            manager.shutdown()
            engine.close()
            server.stop()
            try? FileManager.default.removeItem(atPath: root)
        }
    }

    @Test(.timeLimit(.minutes(2))) func oneShotPipeLoadsEveryFileOnce() throws {
        let f = try Fixture()
        try f.run(
            "CREATE PIPE p1 PROPERTIES(\"AUTO_INGEST\"=\"FALSE\") AS INSERT INTO t SELECT * FROM \(f.source("csv/*"))")
        let done = try Eventually.until(timeout: .seconds(60)) { try f.pipe("p1")["STATE"] == "FINISHED" }
        let shown = try f.pipe("p1")
        try #require(done, "\(shown)")
        let pipe = try f.pipe("p1")
        #expect(pipe["LOAD_STATUS"]?.hasPrefix("{\"loadedFiles\":2,\"loadedBytes\":31,\"loadingFiles\":0,") == true)
        #expect(pipe["TABLE_NAME"] == "t" && pipe["LAST_ERROR"] == "NULL")
        let etags = try f.s3.list("s3://sluice-test/csv/*").map(\.version)
        #expect(
            try f.files("p1") == [
                ["s3://sluice-test/csv/file1.csv", etags[0], "FINISHED", nil],
                ["s3://sluice-test/csv/file2.csv", etags[1], "FINISHED", nil],
            ])
        #expect(try f.count() == "3")
        #expect(
            try f.run("SELECT TABLE_NAME, PROPERTIES FROM information_schema.pipes WHERE PIPE_NAME = 'p1'") == [
                ["db.t", "{\"AUTO_INGEST\":\"FALSE\"}"]
            ])
        // Scenario 18.
        let refused = #expect(throws: SQLError.self) {
            try f.run("CREATE PIPE p9 PROPERTIES(\"FOO\"=\"1\") AS INSERT INTO t SELECT * FROM \(f.source("csv/*"))")
        }
        #expect(refused?.message == "unsupported property: FOO")
        try f.run("DROP PIPE p1")
        #expect(try f.run("SHOW PIPES").isEmpty && f.files("p1").isEmpty)
        try f.run("DROP PIPE IF EXISTS p1")
    }

    /// A pipe over Hive-style directories: `columns_from_path` gives each file's directory
    /// values to its rows (the task's FILES() names the piece's files, each with its own path).
    @Test(.timeLimit(.minutes(2))) func pipeFilesKeepTheirPathColumns() throws {
        let f = try Fixture()
        try f.put("hive/city=bj/a.csv", "10,Ann\n11,Bob\n")
        try f.put("hive/city=sh/b.csv", "12,Cy\n")
        try f.run("CREATE TABLE visits (id INT, name VARCHAR(20), city VARCHAR(20)) DUPLICATE KEY(id)")
        try f.run(
            "CREATE PIPE ph PROPERTIES(\"AUTO_INGEST\"=\"FALSE\") AS INSERT INTO visits SELECT $1, $2, city FROM "
                + f.source("hive/*/*.csv", extra: ", \"columns_from_path\"=\"city\""))
        let done = try Eventually.until(timeout: .seconds(60)) { try f.pipe("ph")["STATE"] == "FINISHED" }
        let shown = try f.pipe("ph")
        try #require(done, "\(shown)")
        #expect(
            try f.run("SELECT id, name, city FROM visits ORDER BY id") == [
                ["10", "Ann", "bj"], ["11", "Bob", "bj"], ["12", "Cy", "sh"],
            ])
    }

    @Test(.timeLimit(.minutes(3))) func continuousPipeLoadsEachVersionOnce() throws {
        let f = try Fixture()
        try f.run(
            """
            CREATE PIPE p2 PROPERTIES("AUTO_INGEST"="TRUE", "POLL_INTERVAL"="1")
            AS INSERT INTO t SELECT * FROM \(f.source("in/"))
            """)
        // Scenario 14: a new object loads once; the same bytes again (same ETag) do not.
        try f.put("in/f3.csv", "10,Ten,1\n")
        #expect(try Eventually.until(timeout: .seconds(30)) { try f.count() == "1" })
        try f.put("in/f3.csv", "10,Ten,1\n")
        try f.put("in/f4.csv", "11,Eleven,1\n")
        #expect(try Eventually.until(timeout: .seconds(30)) { try f.count() == "2" })
        #expect(try f.files("p2").filter { $0[0] == "s3://sluice-test/in/f3.csv" }.count == 1)
        // Overwritten with other bytes: a new version, loaded again.
        try f.put("in/f3.csv", "12,Twelve,1\n")
        #expect(try Eventually.until(timeout: .seconds(30)) { try f.count() == "3" })
        #expect(
            try f.files("p2").filter { $0[0] == "s3://sluice-test/in/f3.csv" }.map { $0[2] } == [
                "FINISHED", "FINISHED",
            ])
        // Scenario 15: suspended, nothing loads; resumed, it does.
        try f.run("ALTER PIPE p2 SUSPEND")
        #expect(try f.pipe("p2")["STATE"] == "SUSPEND")
        try f.put("in/f5.csv", "13,Thirteen,1\n")
        try f.run("ALTER PIPE p2 RESUME")
        #expect(try f.pipe("p2")["STATE"] == "RUNNING")
        #expect(try Eventually.until(timeout: .seconds(30)) { try f.count() == "4" })
        // Scenario 16: a file strict INSERT refuses ends in ERROR after the retries.
        try f.put("in/bad.csv", "x,Bad,1\n")
        let failed = try Eventually.until(timeout: .seconds(60)) {
            try f.files("p2").contains { $0[0] == "s3://sluice-test/in/bad.csv" && $0[2] == "ERROR" }
        }
        #expect(failed)
        let bad = try f.files("p2").first { $0[0] == "s3://sluice-test/in/bad.csv" }
        #expect(bad?[3]?.isEmpty == false, "\(String(describing: bad))")
        #expect(try f.pipe("p2")["LAST_ERROR"]?.hasPrefix("{\"errorMessage\":") == true)
        #expect(try f.count() == "4")
        // Fixed in place: the new version loads; RETRY FILE sends the old version around again.
        try f.put("in/bad.csv", "14,Fixed,1\n")
        #expect(try Eventually.until(timeout: .seconds(30)) { try f.count() == "5" })
        try f.run("ALTER PIPE p2 RETRY FILE 's3://sluice-test/in/bad.csv'")
        #expect(
            try Eventually.until(timeout: .seconds(30)) {
                try f.files("p2").filter { $0[0] == "s3://sluice-test/in/bad.csv" }.allSatisfy { $0[2] == "FINISHED" }
            })
        try f.run("ALTER PIPE p2 SET (\"POLL_INTERVAL\" = \"5\")")
        #expect(
            try f.run("SELECT PROPERTIES FROM information_schema.pipes WHERE PIPE_NAME = 'p2'").first?.first??.contains(
                "\"POLL_INTERVAL\":\"5\"") == true)
    }

    @Test func badStatementsAreRefused() throws {
        let f = try Fixture()
        func refused(_ sql: String) -> String? { (#expect(throws: SQLError.self) { try f.run(sql) })?.message }
        #expect(refused("ALTER PIPE nope SUSPEND")?.contains("does not exist") == true)
        #expect(refused("CREATE PIPE p AS INSERT INTO t VALUES (1, 'a', 2)")?.contains("FROM FILES") == true)
        #expect(
            refused(
                "CREATE PIPE p PROPERTIES(\"poll_interval\"=\"0\") AS INSERT INTO t SELECT * FROM \(f.source("csv/*"))")
                == "Invalid poll_interval: '0': write a number of seconds from 1 to 3600")
        #expect(
            refused("CREATE PIPE p AS INSERT INTO nope SELECT * FROM \(f.source("csv/*"))")?.contains("nope") == true)
        try f.run(
            "CREATE PIPE p PROPERTIES(\"auto_ingest\"=\"false\") AS INSERT INTO t SELECT * FROM \(f.source("csv/*"))")
        #expect(
            refused("CREATE PIPE p AS INSERT INTO t SELECT * FROM \(f.source("csv/*"))") == "Pipe p already exists")
        try f.run("CREATE OR REPLACE PIPE p AS INSERT INTO t SELECT * FROM \(f.source("csv/*"))")
        try f.run("CREATE PIPE IF NOT EXISTS p AS INSERT INTO t SELECT * FROM \(f.source("csv/*"))")
        #expect(try f.run("SHOW PIPES WHERE NAME LIKE 'p%'").count == 1)
    }
}
