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

    /// Scenarios 3 and 4 (spec B.2): CREATE / SHOW / DROP FILE, `FILE:` references checked at
    /// CREATE and handed to librdkafka as the stored file's path.
    @Test(.timeLimit(.minutes(3)))
    func fileReferencesAreCheckedStoredAndResolved() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 1])
        defer { broker.stop() }
        let certificates = try TLSTests.Certificates()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let files = try StaticFileServer(directory: certificates.directory)
        defer { files.stop() }
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var server = try ServerProcess(dataDirectory: directory, environment: RoutineLoadKafkaTests.fastBatches)
        var sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE db", database: nil)
        _ = try await sql.execute(Self.table, database: "db")
        let servers = broker.bootstrapServers
        // Scenario 3: a reference to a file nobody created.
        let missing = try await Self.create(
            sql, "j0", servers, #""property.security.protocol" = "ssl", "property.ssl.ca.location" = "FILE:ca.pem""#)
        let pattern = #"File ca\.pem does not exist in db [0-9]+ with globalStateMgr: kafka"#
        #expect(missing?.range(of: pattern, options: .regularExpression) != nil, "\(missing ?? "")")
        // Scenario 4: CREATE FILE downloads it once; SHOW FILE lists it with its size and MD5.
        let url = "http://127.0.0.1:\(files.port)/ca.pem"
        let wrong = try await sql.execute(
            #"CREATE FILE "ca.pem" IN db PROPERTIES ("url" = "\#(url)", "catalog" = "kafka", "md5" = "00")"#,
            database: "db")
        #expect(wrong.error?.contains("Invalid md5 of file") == true, "\(wrong.error ?? "")")
        let created = try await sql.execute(
            #"CREATE FILE "ca.pem" IN db PROPERTIES ("url" = "\#(url)", "catalog" = "kafka")"#, database: "db")
        #expect(created.error == nil, "\(created.error ?? "")")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: certificates.ca))
        let md5 = Self.md5(bytes)
        let shown = try await sql.execute("SHOW FILE FROM db", database: "db")
        #expect(shown.columns == ["FileId", "DbName", "Catalog", "FileName", "FileSize", "MD5"])
        #expect(
            shown.rows.map { Array($0.dropFirst()) } == [["db", "kafka", "ca.pem", "\(bytes.count)", md5]],
            "\(shown.rows)")
        // The job is created; librdkafka loads the stored CA (a bad path would fail the client:
        // `ssl.ca.location failed`), then meets a plaintext listener.
        #expect(
            try await Self.create(
                sql, "tls_job", servers,
                #""property.security.protocol" = "ssl", "property.ssl.ca.location" = "FILE:ca.pem""#) == nil)
        try await RoutineLoadKafkaTests.waitFor("tls_job PAUSED") {
            try await RoutineLoadKafkaTests.show(sql, "tls_job")["State"] == "PAUSED"
        }
        let row = try await RoutineLoadKafkaTests.show(sql, "tls_job")
        #expect(row["ReasonOfStateChanged"]?.contains("SSL handshake failed") == true, "\(row)")
        #expect(row["CustomProperties"]?.contains(#""ssl.ca.location":"FILE:ca.pem""#) == true, "\(row)")
        // Files survive kill -9; DROP FILE removes them.
        server.kill9()
        server = try ServerProcess(dataDirectory: directory, environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate() }
        sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        #expect(try await sql.execute("SHOW FILE FROM db", database: "db").rows.count == 1)
        let stored = try FileManager.default.contentsOfDirectory(atPath: directory + "/files")
        #expect(stored.count == 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/files/" + stored[0])) == bytes)
        let dropped = try await sql.execute(
            #"DROP FILE "ca.pem" FROM db PROPERTIES ("catalog" = "kafka")"#, database: "db")
        #expect(dropped.error == nil, "\(dropped.error ?? "")")
        #expect(try await sql.execute("SHOW FILE FROM db", database: "db").rows.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory + "/files").isEmpty)
    }

    /// Scenarios 10 and 11 through Tests/Fixtures/kafka_security_proxy.py (TLS and SASL in front of
    /// the mock): the right password (PLAIN, SCRAM-SHA-512) and the right CA load every message once;
    /// a wrong password and a wrong CA pause the job with librdkafka's words.
    @Test(.timeLimit(.minutes(3)))
    func saslAndTLSSucceedThroughTheProxyAndFailWithLibrdkafkasWords() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["events": 2])
        defer { broker.stop() }
        let certificates = try TLSTests.Certificates()
        defer { try? FileManager.default.removeItem(atPath: certificates.directory) }
        let sasl = try KafkaSecurityProxy(broker: broker.bootstrapServers, user: "alice", password: "s3cret")
        defer { sasl.stop() }
        let tls = try KafkaSecurityProxy(
            broker: broker.bootstrapServers, certificate: certificates.serverCert, key: certificates.serverKey)
        defer { tls.stop() }
        let files = try StaticFileServer(directory: certificates.directory)
        defer { files.stop() }
        let other = try TLSTests.Certificates()
        defer { try? FileManager.default.removeItem(atPath: other.directory) }
        let otherFiles = try StaticFileServer(directory: other.directory)
        defer { otherFiles.stop() }
        let jobs = ["plain_ok", "scram_ok", "plain_bad", "tls_ok", "tls_bad"]
        let (directory, server, sql) = try await startServer(
            tables: jobs.map {
                "CREATE TABLE \($0) (id BIGINT, name VARCHAR(32), amount DECIMAL(10,2)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
            }, environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        for (name, url) in [("ca.pem", files.port), ("other.pem", otherFiles.port)] {
            let r = try await sql.execute(
                #"CREATE FILE "\#(name)" IN db PROPERTIES ("url" = "http://127.0.0.1:\#(url)/ca.pem", "catalog" = "kafka")"#,
                database: "db")
            #expect(r.error == nil, "\(r.error ?? "")")
        }
        try await RoutineLoadKafkaTests.produce(broker.bootstrapServers, topic: "events", partitions: 2, ids: 1...300)
        let saslSettings = { (mechanism: String, password: String) in
            #""property.security.protocol" = "sasl_plaintext", "property.sasl.mechanism" = "\#(mechanism)", "property.sasl.username" = "alice", "property.sasl.password" = "\#(password)""#
        }
        let tlsSettings = { (file: String) in
            #""property.security.protocol" = "ssl", "property.ssl.ca.location" = "FILE:\#(file)""#
        }
        for (job, port, settings) in [
            ("plain_ok", sasl.port, saslSettings("PLAIN", "s3cret")),
            ("scram_ok", sasl.port, saslSettings("SCRAM-SHA-512", "s3cret")),
            ("plain_bad", sasl.port, saslSettings("PLAIN", "wrong")),
            ("tls_ok", tls.port, tlsSettings("ca.pem")),
            ("tls_bad", tls.port, tlsSettings("other.pem")),
        ] {
            let r = try await sql.execute(
                """
                CREATE ROUTINE LOAD db.\(job) ON \(job) COLUMNS TERMINATED BY ','
                FROM KAFKA ("kafka_broker_list" = "127.0.0.1:\(port)", "kafka_topic" = "events",
                            "property.kafka_default_offsets" = "OFFSET_BEGINNING", \(settings))
                """, database: "db")
            #expect(r.error == nil, "\(job): \(r.error ?? "")")
        }
        for job in ["plain_ok", "scram_ok", "tls_ok"] {
            try await RoutineLoadKafkaTests.waitFor("\(job) loads 300 rows", timeout: 60) {
                try await sql.execute("SELECT count(*) FROM \(job)", database: "db").rows == [["300"]]
            }
            let r = try await sql.execute("SELECT count(DISTINCT id), sum(id) FROM \(job)", database: "db")
            #expect(r.rows == [["300", "45150"]], "\(job): \(r.rows)")
        }
        for (job, reason) in [
            ("plain_bad", "SASL authentication error: Authentication failed: Invalid username or password"),
            ("tls_bad", "certificate verify failed"),
        ] {
            try await RoutineLoadKafkaTests.waitFor("\(job) PAUSED") {
                try await RoutineLoadKafkaTests.show(sql, job)["State"] == "PAUSED"
            }
            let stated = try await RoutineLoadKafkaTests.show(sql, job)["ReasonOfStateChanged"] ?? ""
            #expect(stated.contains(reason), "\(job): \(stated)")
            #expect(try await sql.execute("SELECT count(*) FROM \(job)", database: "db").rows == [["0"]])
        }
        #expect(!server.output.contains("s3cret"))
    }

    static func md5(_ data: Data) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["md5sum"]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try? process.run()
        input.fileHandleForWriting.write(data)
        try? input.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return String(text.prefix(32))
    }
}

/// `python3 -m http.server` on 127.0.0.1 serving a directory (CREATE FILE's download source).
final class StaticFileServer: Sendable {
    private let process: AnnouncingProcess
    let port: Int

    init(directory: String) throws {
        process = try AnnouncingProcess(
            ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", directory],
            discardErrors: true)
        port = try process.port(after: "port ")
    }

    func stop() { process.stop() }
}

/// Tests/Fixtures/kafka_security_proxy.py: TLS and SASL (PLAIN, SCRAM) in front of the mock broker.
final class KafkaSecurityProxy: Sendable {
    private let process: AnnouncingProcess
    let port: Int

    init(broker: String, user: String? = nil, password: String? = nil, certificate: String? = nil, key: String? = nil)
        throws
    {
        let script = SchemaRegistryProcess.root.appendingPathComponent("Tests/Fixtures/kafka_security_proxy.py").path
        var arguments = ["python3", script, "--broker", broker.split(separator: ",")[0].description]
        if let user { arguments += ["--user", user, "--password", password ?? ""] }
        if let certificate, let key { arguments += ["--tls-cert", certificate, "--tls-key", key] }
        process = try AnnouncingProcess(arguments)
        port = try process.port(after: "listening on ")
    }

    func stop() { process.stop() }
}
