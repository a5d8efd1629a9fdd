import Foundation
import SluiceIO
import SluiceTesting
import Testing

/// The README's Routine Load walkthrough (examples/mysql/routine-load-walkthrough.sql) through
/// every MySQL client the issue names — `mysql`, PyMySQL, mysql-connector-python pure and C, and
/// SQLAlchemy's starrocks dialect — each against its own server, all fed by one mock Kafka
/// cluster: CREATE DATABASE/TABLE, CREATE ROUTINE LOAD, SHOW ROUTINE LOAD, then SELECT until
/// every produced message is a row.
@Suite(.serialized) struct MySQLWalkthroughTests {
    static let messages = 2000

    @Test(.timeLimit(.minutes(5)))
    func walkthroughRunsThroughEveryClient() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 8])
        defer { broker.stop() }
        let produce = try await MySQLClientsTests.run([
            ServerProcess.executable, "produce", "--brokers", broker.bootstrapServers, "--topic", "events",
            "--partitions", "8", "--generate-events", String(Self.messages), "--start-id", "1",
        ])
        #expect(produce.status == 0, "\(produce.err)")
        let script = ExamplesTests.root.appendingPathComponent("examples/mysql/routine-load-walkthrough.sql").path
        let walker = ExamplesTests.root.appendingPathComponent("scripts/mysql/walkthrough.py").path
        for client in ["mysql", "pymysql", "connector-pure", "connector-c", "sqlalchemy"] {
            let directory = makeTemporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let port = freeTCPPort()
            let server = try await BlockingIO.run {
                try ServerProcess(
                    dataDirectory: directory, arguments: ["--query-port", String(port)],
                    environment: ["SLUICE_ROUTINE_LOAD_TEST_BATCH_INTERVAL_MS": "300"])
            }
            defer { _ = server.terminate() }
            if client == "mysql" {
                let piped = try await MySQLClientsTests.run([
                    "bash", "-c",
                    "sed \"s|\\${KAFKA_BROKERS}|\(broker.bootstrapServers)|\" \(script) | mysql -h127.0.0.1 -P\(port) -uroot",
                ])
                #expect(piped.status == 0, "\(piped.err)")
                #expect(piped.out.contains("events_job"), "\(piped.out)")
                // The README's second line, until the count is complete.
                var output = ""
                _ = try await Eventually.until(timeout: .seconds(90), poll: .milliseconds(200)) {
                    output = try await MySQLClientsTests.run([
                        "mysql", "-h127.0.0.1", "-P\(port)", "-uroot", "shop", "-e",
                        "SHOW ROUTINE LOAD FOR events_job\\G SELECT count(*) FROM events",
                    ]).out
                    return output.hasSuffix("\n\(Self.messages)\n")
                }
                #expect(output.contains("Name: events_job"), "\(output)")
                #expect(output.contains("State: RUNNING"), "\(output)")
                #expect(output.hasSuffix("count(*)\n\(Self.messages)\n"), "\(output)")
            } else {
                let result = try await MySQLClientsTests.run([
                    "python3", walker, client, String(port), broker.bootstrapServers, String(Self.messages),
                ])
                #expect(result.status == 0, "\(client): \(result.out)\(result.err)")
                #expect(result.out.contains("walkthrough ok \(client) rows=\(Self.messages) state=RUNNING"))
            }
        }
    }
}
