import Foundation
import SluiceServer
import SluiceTesting
import Testing

/// Every file in examples/ and config/ is exercised here.
@Suite(.serialized) struct ExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Splits a .sql file the way scripts/run-demo.sh does (scripts/split-sql.py).
    static func statements(_ file: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/split-sql.py").path, root.appendingPathComponent(file).path]
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
        let server = try ServerProcess(dataDirectory: directory, arguments: ["--config", Self.root.appendingPathComponent("config/sluice.json").path])
        let client = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        #expect(try await client.execute("CREATE DATABASE IF NOT EXISTS demo", database: nil).error == nil)
        let statements = try Self.statements("examples/sql/demo.sql")
        #expect(statements.count == 4)
        for statement in statements {
            let response = try await client.execute(statement, database: "demo")
            #expect(response.error == nil, "\(statement): \(response.error ?? "")")
        }
        let rows = try await client.execute("SELECT count(*), count(DISTINCT country), count(DISTINCT device), sum(quantity) FROM events", database: "demo").rows
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
        let rows = try await client.execute("SELECT event_id, country FROM example.events ORDER BY event_id", database: nil).rows
        #expect(rows == [["1", "US"], ["2", "DE"], ["3", "CN"], ["5", "JP"]])
        #expect(server.terminate().status == 0)
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

    @Test func shippedConfigurationLoads() async throws {
        let file = Self.root.appendingPathComponent("config/sluice.json").path
        let configuration = try await SluiceConfiguration.load(file: file, overrides: [:], environment: [:])
        #expect(configuration.dataDirectory == "data")
        #expect(configuration.httpPort == 8030)
        #expect(configuration.users == ["root": ""])
        let overridden = try await SluiceConfiguration.load(
            file: file, overrides: ["server.http_port": "9000"], environment: ["SLUICE_STORAGE_COMPACTION_THRESHOLD": "4", "SLUICE_SERVER_HTTP_PORT": "7000"])
        #expect(overridden.httpPort == 9000)
        #expect(overridden.compactionThreshold == 4)
        let fromEnvironment = try await SluiceConfiguration.load(file: nil, overrides: [:], environment: ["SLUICE_DATA_DIR": "/x", "SLUICE_SERVER_HTTP_PORT": "7000"])
        #expect(fromEnvironment.httpPort == 7000)
        #expect(fromEnvironment.dataDirectory == "/x")
        await #expect(throws: ConfigurationError.self) {
            _ = try await SluiceConfiguration.load(file: nil, overrides: [:], environment: [:])
        }
        await #expect(throws: ConfigurationError.self) {
            _ = try await SluiceConfiguration.load(file: nil, overrides: ["data_dir": "/x", "server.http_port": "abc"], environment: [:])
        }
    }
}
