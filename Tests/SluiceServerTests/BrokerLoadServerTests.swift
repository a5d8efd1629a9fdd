import Foundation
import SluiceIO
import SluiceTesting
import Testing

/// Broker Load through the real front door: `sluice serve` with `load.max_broker_load_job_concurrency`
/// set, statements over the MySQL protocol, local files and an S3-compatible server, jobs kept
/// across kill -9, privileges checked.
@Suite(.serialized) struct BrokerLoadServerTests {
    static let environment = [
        "SLUICE_ROOT_PASSWORD": "rootpw", "SLUICE_LOAD_MAX_BROKER_LOAD_JOB_CONCURRENCY": "1",
    ]

    final class Server: @unchecked Sendable {
        var process: ServerProcess
        let mysqlPort: Int
        let directory: String

        init(directory: String) throws {
            self.directory = directory
            mysqlPort = freeTCPPort()
            process = try ServerProcess(
                dataDirectory: directory, arguments: ["--query-port", String(mysqlPort)],
                environment: BrokerLoadServerTests.environment)
        }

        func restart() throws {
            process.kill9()
            process = try ServerProcess(
                dataDirectory: directory, arguments: ["--query-port", String(mysqlPort)],
                environment: BrokerLoadServerTests.environment)
        }

        func run(_ sql: String, user: String = "root", password: String = "rootpw", database: String? = "db")
            async throws -> RawMySQLClient.Reply
        {
            let port = mysqlPort
            return try await BlockingIO.run {
                let client = try RawMySQLClient(port: port)
                _ = try client.login(user: user, password: password, database: database)
                return try client.query(sql)[0]
            }
        }

        /// SHOW LOAD's row of `label` once its job ended.
        func ended(_ label: String) async throws -> [String: String] {
            var row = [String: String]()
            let done = try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(50)) {
                guard case .rows(let columns, let rows, _) = try await run("SHOW LOAD WHERE LABEL = '\(label)'"),
                    let first = rows.first
                else { return false }
                row = Dictionary(uniqueKeysWithValues: zip(columns, first.map { $0 ?? "NULL" }))
                return row["State"] == "FINISHED" || row["State"] == "CANCELLED"
            }
            try #require(done, "job \(label) did not end: \(row)")
            return row
        }
    }

    func count(_ server: Server) async throws -> String? {
        let reply = try await server.run("SELECT count(*) FROM t")
        guard case .rows(_, let rows, _) = reply else { return "\(reply)" }
        return rows.first?.first ?? nil
    }

    @Test(.timeLimit(.minutes(3))) func jobsRunInTheServerAndSurviveKill9() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = directory + "-files"
        try FileManager.default.createDirectory(atPath: files + "/csv", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: files) }
        try Data("1,Lily,21\n2,Rose,22\n".utf8).write(to: URL(fileURLWithPath: files + "/csv/file1.csv"))
        try Data("3,Alice,23\n".utf8).write(to: URL(fileURLWithPath: files + "/csv/file2.csv"))
        let server = try Server(directory: directory)
        for statement in [
            "CREATE DATABASE db",
            "CREATE TABLE db.t (id INT, name VARCHAR(20), score INT) DUPLICATE KEY(id)",
            "CREATE USER reader IDENTIFIED BY 'readerpw'", "GRANT SELECT ON TABLE db.t TO reader",
        ] {
            let reply = try await server.run(statement, database: nil)
            guard case .ok = reply else { Issue.record("\(statement): \(reply)"); return }
        }
        let load = """
            LOAD LABEL db.l1 (DATA INFILE("file://\(files)/csv/*") INTO TABLE t COLUMNS TERMINATED BY "," (id,name,score))
            WITH BROKER PROPERTIES("timeout"="3600")
            """
        // INSERT on the table is what a load needs.
        let denied = try await server.run(load, user: "reader", password: "readerpw")
        guard case .error(5203, _, let message) = denied else { Issue.record("\(denied)"); return }
        #expect(message.hasPrefix("Access denied; you need (at least one of) the INSERT privilege(s)"))
        let accepted = try await server.run(load)
        guard case .ok = accepted else { Issue.record("\(accepted)"); return }
        let row = try await server.ended("l1")
        #expect(row["State"] == "FINISHED" && row["EtlInfo"] == "unselected.rows=0; dpp.abnorm.ALL=0; dpp.norm.ALL=3")
        #expect(row["TaskInfo"] == "resource:N/A; timeout(s):3600; max_filter_ratio:0.0")
        #expect(try await count(server) == "3")
        // The reader sees the table, so it sees the job too.
        guard case .rows(_, let seen, _) = try await server.run("SHOW LOAD", user: "reader", password: "readerpw")
        else { Issue.record("SHOW LOAD failed"); return }
        #expect(seen.map { $0[1] } == ["l1"])
        let again = try await server.run(load)
        guard case .error(_, _, let reused) = again else { Issue.record("\(again)"); return }
        #expect(reused == "Label [l1] has already been used.")
        // Killed and restarted: the finished job is still shown, the rows are there once.
        try server.restart()
        #expect(try await server.ended("l1")["State"] == "FINISHED")
        #expect(try await count(server) == "3")
    }

    /// Scenario 17: the server dies after a pipe task's transaction committed but before the
    /// files were marked FINISHED; after the restart the file is FINISHED (found by its label)
    /// and its rows are there once.
    @Test(.timeLimit(.minutes(3))) func aPipeCrashBetweenCommitAndBookkeepingLoadsOnce() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = directory + "-files"
        try FileManager.default.createDirectory(atPath: files + "/in", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: files) }
        try Data("1,Lily,21\n2,Rose,22\n".utf8).write(to: URL(fileURLWithPath: files + "/in/a.csv"))
        let port = freeTCPPort()
        var environment = Self.environment
        environment["SLUICE_FAULTS"] = "pipe.after_commit=crash@1"
        let crashing = try ServerProcess(
            dataDirectory: directory, arguments: ["--query-port", String(port)], environment: environment)
        func run(_ sql: String, database: String? = "db") async throws -> RawMySQLClient.Reply {
            try await BlockingIO.run {
                let client = try RawMySQLClient(port: port)
                _ = try client.login(user: "root", password: "rootpw", database: database)
                return try client.query(sql)[0]
            }
        }
        for statement in [
            "CREATE DATABASE db", "CREATE TABLE db.t (id INT, name VARCHAR(20), score INT) DUPLICATE KEY(id)",
        ] {
            _ = try await run(statement, database: nil)
        }
        let created = try await run(
            """
            CREATE PIPE p PROPERTIES ("AUTO_INGEST" = "FALSE") AS INSERT INTO t
            SELECT * FROM FILES("path" = "file://\(files)/in/*", "format" = "csv", "csv.column_separator" = ",")
            """)
        guard case .ok = created else { Issue.record("\(created)"); return }
        #expect(crashing.waitForExit(timeout: 60), "the fault point did not kill the server")
        let restarted = try ServerProcess(
            dataDirectory: directory, arguments: ["--query-port", String(port)], environment: Self.environment)
        defer { restarted.kill9() }
        let finished = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(100)) {
            guard case .rows(_, let rows, _) = try await run("SELECT LOAD_STATE FROM information_schema.pipe_files")
            else { return false }
            return rows.map { $0[0] } == ["FINISHED"]
        }
        #expect(finished)
        let count = try await run("SELECT count(*) FROM t")
        guard case .rows(_, let rows, _) = count else { Issue.record("\(count)"); return }
        #expect(rows == [["2"]])
        // The one-shot pipe ends FINISHED, its counters including the recovered file.
        let ended = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(100)) {
            guard case .rows(_, let pipes, _) = try await run("SHOW PIPES") else { return false }
            return pipes.first?[3] == "FINISHED" && pipes.first?[5]?.hasPrefix("{\"loadedFiles\":1,") == true
        }
        #expect(ended)
    }

    /// `sluice load`: files from a shell, one job per file version, plain lines when not at a
    /// terminal; the same command again skips them; a changed file loads again.
    @Test(.timeLimit(.minutes(3))) func sluiceLoadRunsOncePerFileVersion() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = directory + "-files"
        try FileManager.default.createDirectory(atPath: files + "/csv", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: files) }
        try Data("id|name|score\n1|Lily|21\n2|Rose|22\n".utf8).write(to: URL(fileURLWithPath: files + "/csv/a.csv"))
        try Data("id|name|score\n3|Alice|23\n".utf8).write(to: URL(fileURLWithPath: files + "/csv/b.csv"))
        let server = try await BlockingIO.run {
            try ServerProcess(dataDirectory: directory, environment: ["SLUICE_ROOT_PASSWORD": "rootpw"])
        }
        defer { _ = server.terminate() }
        let port = ["--port", String(server.port), "--password", "rootpw"]
        for statement in ["CREATE DATABASE db", "CREATE TABLE db.t (id INT, name VARCHAR(20), score INT)"] {
            #expect(try await SQLCommandTests.sql(port + [statement]).status == 0)
        }
        let load =
            ["load", files + "/csv", "--table", "db.t", "--column-separator", "|", "--skip-header", "1"] + port
        let first = try await CommandLineTests.sluice(load)
        #expect(first.status == 0, "\(first.err)")
        #expect(first.out.contains("loaded \(files)/csv/a.csv: 2 rows (label sluice_load_"), "\(first.out)")
        #expect(first.out.contains("loaded \(files)/csv/b.csv: 1 rows"))
        #expect(first.out.contains("2 files: 2 loaded, 0 skipped (loaded before), 0 failed; 3 rows"))
        let again = try await CommandLineTests.sluice(load)
        #expect(again.out.contains("2 files: 0 loaded, 2 skipped (loaded before), 0 failed"), "\(again.out)")
        try Data("id|name|score\n3|Alice|23\n4|Bob|24\n".utf8).write(to: URL(fileURLWithPath: files + "/csv/b.csv"))
        let changed = try await CommandLineTests.sluice(load)
        #expect(
            changed.out.contains("2 files: 1 loaded, 1 skipped (loaded before), 0 failed; 2 rows"), "\(changed.out)")
        let count = try await SQLCommandTests.sql(port + ["SELECT count(*) FROM db.t"])
        #expect(count.out.contains("5"), "\(count.out)")
        // At a terminal: a progress bar on standard error (a pseudo-terminal from script(1)).
        try Data("id|name|score\n5|Eve|25\n".utf8).write(to: URL(fileURLWithPath: files + "/csv/c.csv"))
        let command = ([ServerProcess.executable] + load).map { "'\($0)'" }.joined(separator: " ")
        let terminal = try await MySQLClientsTests.run(["script", "-qec", command, "/dev/null"])
        #expect(terminal.status == 0, "\(terminal.err)")
        #expect(
            terminal.out.contains("] 100%") && terminal.out.contains("rows/s  ETA 0:00  1/1 files"), "\(terminal.out)")
        #expect(terminal.out.contains("3 files: 1 loaded, 2 skipped (loaded before), 0 failed; 1 rows"))
        // A file that fails: the job's words, exit status 1.
        try Data("x|Bad|1\n".utf8).write(to: URL(fileURLWithPath: files + "/bad.csv"))
        let failing = try await CommandLineTests.sluice(
            ["load", files + "/bad.csv", "--table", "db.t", "--column-separator", "|"] + port)
        #expect(failing.status == 1)
        #expect(failing.out.contains("failed \(files)/bad.csv: type:ETL_QUALITY_UNSATISFIED"), "\(failing.out)")
    }
}
