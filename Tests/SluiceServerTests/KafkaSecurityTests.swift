import Foundation
import SluiceKafka
import SluiceServer
import SluiceTesting
import Testing

/// Secured Kafka for Routine Load (spec formats-security-files Part B, scenarios 1, 2, 5–9 and
/// 12): `property.*` security settings reach librdkafka, secrets are masked on every surface, and
/// librdkafka's refusal becomes the pause reason. Against the mock cluster, which speaks only
/// plaintext, so these are the negative paths.
@Suite(.serialized) struct KafkaSecurityTests {
    static let table =
        "CREATE TABLE t (id BIGINT, name VARCHAR(32), amount DECIMAL(10,2)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2"

    static func create(_ sql: SQLClient, _ name: String, _ servers: String, _ properties: String) async throws
        -> String?
    {
        try await sql.execute(
            """
            CREATE ROUTINE LOAD db.\(name) ON t COLUMNS TERMINATED BY ','
            FROM KAFKA ("kafka_broker_list" = "\(servers)", "kafka_topic" = "events",
                        "property.kafka_default_offsets" = "OFFSET_BEGINNING"\(properties.isEmpty ? "" : ", " + properties))
            """, database: "db"
        ).error
    }

    @Test(.timeLimit(.minutes(3)))
    func securitySettingsReachLibrdkafkaAndSecretsNeverShow() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 1])
        defer { broker.stop() }
        let (directory, server, sql) = try await startServer(
            tables: [Self.table], environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        let servers = broker.bootstrapServers
        // Scenarios 1, 2, 7: SASL/PLAIN against a plaintext listener, with secrets to mask.
        #expect(
            try await Self.create(
                sql, "sasl_job", servers,
                #""property.security.protocol" = "sasl_plaintext", "property.sasl.mechanism" = "PLAIN", "property.sasl.username" = "alice", "property.sasl.password" = "s3cret", "property.ssl.key.password" = "k3y""#
            ) == nil)
        // Scenario 9: the plural spelling behaves the same.
        #expect(
            try await Self.create(
                sql, "alias_job", servers,
                #""property.security.protocol" = "SASL_PLAINTEXT", "property.sasl.mechanisms" = "PLAIN", "property.sasl.username" = "bob", "property.sasl.password" = "s3cret""#
            ) == nil)
        // Scenario 8: TLS against a plaintext listener.
        #expect(try await Self.create(sql, "ssl_job", servers, #""property.security.protocol" = "ssl""#) == nil)
        // Scenario 5: an invalid protocol is refused at CREATE with librdkafka's words.
        let invalid = try await Self.create(sql, "bad_job", servers, #""property.security.protocol" = "foo""#)
        #expect(
            invalid?.contains(#"Invalid value "foo" for configuration property "security.protocol""#) == true,
            "\(invalid ?? "")")
        // Scenario 6: an unknown key is ignored; the job loads.
        try await RoutineLoadKafkaTests.produce(servers, topic: "events", partitions: 1, ids: 1...20)
        #expect(try await Self.create(sql, "plain_job", servers, #""property.no.such.key" = "1""#) == nil)
        try await RoutineLoadKafkaTests.expectExactly(1...20, sql)

        for (job, reason) in [
            ("sasl_job", "SASL Handshake not supported by broker (required by mechanism PLAIN)"),
            ("alias_job", "SASL Handshake not supported by broker (required by mechanism PLAIN)"),
            ("ssl_job", "SSL handshake failed: Disconnected: connecting to a PLAINTEXT broker listener?"),
        ] {
            try await RoutineLoadKafkaTests.waitFor("\(job) PAUSED") {
                try await RoutineLoadKafkaTests.show(sql, job)["State"] == "PAUSED"
            }
            let row = try await RoutineLoadKafkaTests.show(sql, job)
            let stated = row["ReasonOfStateChanged"] ?? ""
            #expect(stated.contains("Job failed to fetch all current partition with error"), "\(stated)")
            #expect(stated.contains(reason), "\(stated)")
        }
        let row = try await RoutineLoadKafkaTests.show(sql, "sasl_job")
        let custom = row["CustomProperties"] ?? ""
        #expect(custom.contains(#""sasl.password":"******""#), "\(custom)")
        #expect(custom.contains(#""ssl.key.password":"******""#), "\(custom)")
        #expect(custom.contains(#""sasl.username":"alice""#), "\(custom)")
        let created = try await sql.execute("SHOW CREATE ROUTINE LOAD sasl_job", database: "db")
        let createText = "\(created.rows)"
        #expect(createText.contains(#"\"property.sasl.password\"=\"***\""#), "\(createText)")
        // Scenario 12: a statement that does not parse is logged with its secrets masked.
        let broken = try await sql.execute(
            #"CREATE ROUTINE LOAD db.x ON t FROM KAFKA ("property.sasl.password" = "x9secret" oops"#, database: "db")
        #expect(broken.error != nil)
        #expect(server.waitForOutput(containing: "statement failed to parse"))
        let log = server.output
        #expect(log.contains(#""property.sasl.password" = "***""#), "\(log.suffix(2000))")
        let shown = try await sql.execute("SHOW ALL ROUTINE LOAD", database: "db")
        for secret in ["s3cret", "k3y", "x9secret"] {
            #expect(!log.contains(secret), "\(secret) in the server log")
            #expect(!"\(shown.rows)".contains(secret), "\(secret) in SHOW")
            #expect(!createText.contains(secret), "\(secret) in SHOW CREATE")
        }
    }
}
