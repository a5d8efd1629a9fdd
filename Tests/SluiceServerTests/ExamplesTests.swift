import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// Every file in examples/ and config/ is exercised here (examples/routine-load/debezium-cdc.sql
/// in DebeziumCDCTests).
@Suite(.serialized) struct ExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Splits a .sql file the way scripts/run-demo.sh does (scripts/split-sql.py).
    static func statements(_ file: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", root.appendingPathComponent("scripts/split-sql.py").path, root.appendingPathComponent(file).path,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Runs an example script with the server's port; returns its exit status and output.
    static func runExample(_ path: String, port: Int) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = root.appendingPathComponent(path)
        process.arguments = [String(port)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    @Test(.timeLimit(.minutes(5)))
    func demoSQLRunsAndQueriesBack() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(
            dataDirectory: directory,
            arguments: ["--config", Self.root.appendingPathComponent("config/sluice.json").path])
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        #expect(try await client.execute("CREATE DATABASE IF NOT EXISTS demo", database: nil).error == nil)
        #expect(try Self.statements("examples/sql/demo.sql").count == 4)
        // As the README runs it (issue 15): the whole file through `sluice sql -f`.
        let script = try await CommandLineTests.sluice([
            "sql", "--port", String(server.port), "-d", "demo", "-f",
            Self.root.appendingPathComponent("examples/sql/demo.sql").path,
        ])
        #expect(script.status == 0, "\(script.err)")
        #expect(script.out.contains("100000 rows affected"), "\(script.out)")
        let rows = try await client.execute(
            "SELECT count(*), count(DISTINCT country), count(DISTINCT device), sum(quantity) FROM events",
            database: "demo"
        ).rows
        let quantity = (1...100_000).reduce(0) { $0 + $1 % 10 + 1 }
        #expect(rows == [["100000", "50", "5", "\(quantity)"]])
        let members = try await client.execute("SELECT count(*) FROM events WHERE is_member", database: "demo").rows
        #expect(members == [["\(100_000 / 3)"]])
        let partitions = try await client.execute("SHOW PARTITIONS FROM events", database: "demo").rows
        #expect(partitions.count >= 19)
        #expect(server.terminate().status == 0)
    }

    @Test(.timeLimit(.minutes(2)))
    func streamLoadExampleScriptLoadsBothFiles() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let (status, output) = try Self.runExample("examples/stream-load/stream-load.sh", port: server.port)
        #expect(status == 0)
        #expect(output.components(separatedBy: "\"Status\": \"Success\"").count == 3, "\(output)")
        #expect(output.contains("\"state\":\"VISIBLE\""))
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        let rows = try await client.execute(
            "SELECT event_id, country FROM example.events ORDER BY event_id", database: nil
        ).rows
        #expect(rows == [["1", "US"], ["2", "DE"], ["3", "CN"], ["5", "JP"]])
        #expect(server.terminate().status == 0)
    }

    /// Runs an example script that starts everything it needs (SLUICE names this build's binary);
    /// returns its exit status and standard output.
    static func runStandalone(_ path: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = root.appendingPathComponent(path)
        process.environment = ProcessInfo.processInfo.environment.merging(["SLUICE": ServerProcess.executable]) {
            $1
        }
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    /// examples/scale-out/run.sh: mock Kafka, a sink and three daemons on this machine; rows
    /// arrive, a daemon leaves, its partitions move, every message lands once.
    @Test(.timeLimit(.minutes(4)))
    func scaleOutExampleMovesPartitionsAndLoadsOnce() throws {
        let (status, output) = try Self.runStandalone("examples/scale-out/run.sh")
        #expect(status == 0, "\(output)")
        #expect(output.contains("loading: rows,distinct=6000,6000"), "\(output)")
        #expect(output.contains("== d2 left"))
        #expect(output.contains("after d2 left: rows,distinct=7200,7200"), "\(output)")
        #expect(output.contains("of 6 partitions"))
        #expect(output.contains("\"Committed\":[[0,1199]]"), "\(output)")
        #expect(output.hasSuffix("all 7200 rows loaded once\n"))
    }

    /// examples/routine-load/avro-walkthrough.sh running examples/routine-load/avro-job.sql: Avro
    /// events framed by fastavro against a registry with Basic auth, every one loaded, the
    /// credentials nowhere in SHOW.
    @Test(.timeLimit(.minutes(3)))
    func avroWalkthroughLoadsEveryEvent() throws {
        let (status, output) = try Self.runStandalone("examples/routine-load/avro-walkthrough.sh")
        #expect(status == 0, "\(output)")
        #expect(output.contains("1\tandroid\t0.31\t0"), "\(output)")
        #expect(output.contains(#""confluent.schema.registry.url":"http://127.0.0.1:"#), "\(output)")
        #expect(!output.contains("s3cret"), "\(output)")
        #expect(output.hasSuffix("all 1000 Avro events loaded\n"), "\(output)")
    }

    @Test(.timeLimit(.minutes(2)))
    func transactionExampleScriptPreparesThenCommits() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServerProcess(dataDirectory: directory)
        let (status, output) = try Self.runExample("examples/stream-load/transaction.sh", port: server.port)
        #expect(status == 0)
        #expect(output.contains("load request not equal last."))
        #expect(output.contains("\"state\":\"PREPARED\""))
        #expect(output.contains("\"state\":\"VISIBLE\""))
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        #expect(try await client.execute("SELECT count(*) FROM example.events", database: nil).rows == [["3"]])
        #expect(server.terminate().status == 0)
    }

    /// `make run`'s script: mock cluster, daemon, demo table, the example job and a producer;
    /// rows must arrive from Kafka and Ctrl-C (SIGTERM here) must stop everything cleanly.
    @Test(.timeLimit(.minutes(3)))
    func runDemoScriptConsumesKafka() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // Through python3 to unblock signals and restore default SIGTERM/SIGINT handling: the test
        // runner's threads block signals, and a blocked mask survives exec (bash could not trap).
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); "
                + "[signal.signal(s, signal.SIG_DFL) for s in (signal.SIGTERM, signal.SIGINT)]; os.execv(sys.argv[1], sys.argv[1:])",
            Self.root.appendingPathComponent("scripts/run-demo.sh").path,
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["SLUICE_BIN"] = ServerProcess.executable
        environment["SLUICE_DATA_DIR"] = directory
        environment["SLUICE_SERVER_HTTP_PORT"] = String(freeTCPPort())
        environment["SLUICE_SERVER_QUERY_PORT"] = String(freeTCPPort())
        environment["SLUICE_ROUTINE_LOAD_TEST_BATCH_INTERVAL_MS"] = "500"
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        var output = ""
        let deadline = Date().addingTimeInterval(150)
        while !output.contains("Press Ctrl-C"), Date() < deadline, process.isRunning {
            let data = pipe.fileHandleForReading.availableData
            if data.isEmpty { break }
            output += String(decoding: data, as: UTF8.self)
        }
        print("run-demo.sh printed:\n\(output)")
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        let lines = output.split(separator: "\n")
        let counts = try #require(
            lines.firstIndex { $0.hasPrefix("from_kafka") }.map { lines[$0 + 1].split(separator: "\t") })
        #expect((Int(counts[0]) ?? 0) > 0, "\(output)")
        // The README's Stream Load line, run by the script.
        let streamLoad = try #require(lines.firstIndex { $0.hasPrefix("== Stream Load of examples/stream-load") })
        #expect(lines[streamLoad + 1].contains(#""Status": "Success""#), "\(output)")
        // The README's mysql line, run by the script: the job and a count over the MySQL protocol.
        let viaMySQL = try #require(lines.firstIndex { $0.hasPrefix("== the same over the MySQL protocol") })
        #expect(lines[viaMySQL...].contains { $0.contains("events_from_kafka") }, "\(output)")
        #expect(lines[viaMySQL...].contains { $0.hasPrefix("count(*)") }, "\(output)")
    }

    /// Issue 15: the README's quick start as a new user follows it — `make run`'s demo, then
    /// every command of the README's blocks for while it is up (scripts/readme-walkthrough.py).
    @Test(.timeLimit(.minutes(5)))
    func readmeWalkthroughRunsEndToEnd() async throws {
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await MySQLClientsTests.run([
            "env", "SLUICE_BIN=\(ServerProcess.executable)", "SLUICE_DATA_DIR=\(directory)",
            "SLUICE_SERVER_HTTP_PORT=\(freeTCPPort())", "SLUICE_SERVER_QUERY_PORT=\(freeTCPPort())",
            "SLUICE_ROUTINE_LOAD_TEST_BATCH_INTERVAL_MS=500", "python3", "-c",
            "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, set()); "
                + "[signal.signal(s, signal.SIG_DFL) for s in (signal.SIGTERM, signal.SIGINT)]; os.execv(sys.argv[1], sys.argv[1:])",
            Self.root.appendingPathComponent("scripts/readme-walkthrough.py").path,
        ])
        #expect(result.status == 0, "\(result.out)\(result.err)")
        #expect(result.out.contains("$ mysql -h127.0.0.1"), "\(result.out)")
        #expect(result.out.contains("shop.events rows:"), "\(result.out)")
    }

    /// examples/routine-load/events-job.sql declared in a config file: created at start-up,
    /// it loads generated events (sluice produce --generate-events) with the generator's values.
    @Test(.timeLimit(.minutes(3)))
    func declaredRoutineLoadJobLoadsGeneratedEvents() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 8])
        defer { broker.stop() }
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The table first (a job needs its table), then a restart with the job declared.
        var server = try ServerProcess(dataDirectory: directory)
        var client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await client.execute("CREATE DATABASE demo", database: nil)
        let create = try Self.statements("examples/sql/demo.sql").first { $0.hasPrefix("CREATE TABLE") }
        #expect(try await client.execute(try #require(create), database: "demo").error == nil)
        #expect(server.terminate().status == 0)

        let job = try String(
            contentsOf: Self.root.appendingPathComponent("examples/routine-load/events-job.sql"), encoding: .utf8
        )
        .split(separator: "\n").filter { !$0.hasPrefix("--") }.joined(separator: " ")
        .replacingOccurrences(of: "${KAFKA_BROKERS}", with: broker.bootstrapServers)
        let config = directory + "/config.json"
        let json = try JSONSerialization.data(withJSONObject: ["data_dir": directory, "routine_load": ["jobs": [job]]])
        try json.write(to: URL(fileURLWithPath: config))
        server = try ServerProcess(
            dataDirectory: directory, arguments: ["--config", config],
            environment: ["SLUICE_ROUTINE_LOAD_TEST_BATCH_INTERVAL_MS": "300"])
        defer { _ = server.terminate() }
        client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")

        let produce = Process()
        produce.executableURL = URL(fileURLWithPath: ServerProcess.executable)
        produce.arguments = [
            "produce", "--brokers", broker.bootstrapServers, "--topic", "events", "--partitions", "8",
            "--generate-events", "5000", "--start-id", "1000001",
        ]
        produce.standardOutput = FileHandle.nullDevice
        try produce.run()
        produce.waitUntilExit()
        #expect(produce.terminationStatus == 0)

        var count = ""
        try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(200)) {
            count =
                try await client.execute("SELECT count(*) FROM events", database: "demo").rows.first?.first.flatMap {
                    $0
                } ?? ""
            return count == "5000"
        }
        #expect(count == "5000")
        let quantity = (1_000_001...1_005_000).reduce(0) { $0 + $1 % 10 + 1 }
        let totals = try await client.execute(
            "SELECT count(DISTINCT event_id), sum(quantity), count(DISTINCT country) FROM events", database: "demo")
        #expect(totals.rows == [["5000", "\(quantity)", "50"]])
        let row = try await client.execute(
            "SELECT user_id, event_time, event_date, device, url, amount, is_member FROM events WHERE event_id = 1000003",
            database: "demo")
        // Values of scripts/bench_load.py's generator for event 1000003.
        let url = "https://example.com/" + String(repeating: "r", count: 30) + "/p/12"
        #expect(row.rows == [["23757", "2025-02-04 17:20:09", "2025-02-04", "tv", url, "0.93", "0"]])
        let jobs = try await client.execute("SHOW ROUTINE LOAD", database: "demo")
        #expect(jobs.rows.count == 1)
        #expect(server.terminate().status == 0)
    }

    @Test func shippedConfigurationLoads() async throws {
        let file = Self.root.appendingPathComponent("config/sluice.json").path
        let configuration = try await SluiceConfiguration.load(file: file, overrides: [:], environment: [:])
        #expect(configuration.dataDirectory == "data")
        #expect(configuration.httpPort == 8030)
        #expect(configuration.queryPort == 9030)
        #expect(configuration.mysqlServerVersion == "8.0.33")
        #expect(configuration.maxConnections == 4096)
        #expect(configuration.maxAllowedPacket == 67_108_864)
        #expect(configuration.rootPassword == "")
        #expect(configuration.idleTimeoutSeconds == 60)
        #expect(configuration.shutdownGraceSeconds == 10)
        #expect(configuration.groupCommit)
        #expect(configuration.loadBackgroundNice == 10)
        #expect(configuration.routineLoadSourceGraceSeconds == 30)
        let overridden = try await SluiceConfiguration.load(
            file: file, overrides: ["server.http_port": "9000"],
            environment: [
                "SLUICE_STORAGE_COMPACTION_THRESHOLD": "4", "SLUICE_SERVER_HTTP_PORT": "7000",
                "SLUICE_STORAGE_GROUP_COMMIT": "false", "SLUICE_LOAD_BACKGROUND_NICE": "0",
                "SLUICE_ROOT_PASSWORD": "s3cret",
            ])
        #expect(overridden.rootPassword == "s3cret")
        #expect(overridden.httpPort == 9000)
        #expect(overridden.compactionThreshold == 4)
        #expect(!overridden.groupCommit)
        #expect(overridden.loadBackgroundNice == 0)
        let mysql = try await SluiceConfiguration.load(
            file: file, overrides: ["server.query_port": "19030"],
            environment: ["SLUICE_SERVER_QE_MAX_CONNECTION": "3", "SLUICE_SERVER_MYSQL_SERVER_VERSION": "5.7.99"])
        #expect(mysql.queryPort == 19030 && mysql.maxConnections == 3 && mysql.mysqlServerVersion == "5.7.99")
        await #expect(throws: ConfigurationError.self) {
            _ = try await SluiceConfiguration.load(
                file: nil, overrides: ["data_dir": "/x", "server.mysql_server_version": "v8"], environment: [:])
        }
        let fromEnvironment = try await SluiceConfiguration.load(
            file: nil, overrides: [:], environment: ["SLUICE_DATA_DIR": "/x", "SLUICE_SERVER_HTTP_PORT": "7000"])
        #expect(fromEnvironment.httpPort == 7000)
        #expect(fromEnvironment.dataDirectory == "/x")
        await #expect(throws: ConfigurationError.self) {
            _ = try await SluiceConfiguration.load(file: nil, overrides: [:], environment: [:])
        }
        await #expect(throws: ConfigurationError.self) {
            _ = try await SluiceConfiguration.load(
                file: nil, overrides: ["data_dir": "/x", "server.http_port": "abc"], environment: [:])
        }
    }
}
