import Foundation
import SluiceKafka
import SluiceServer
import SluiceTesting
import Testing

/// Avro Routine Load end to end (spec A.12): `sluice serve` consuming Confluent-framed Avro from
/// the mock Kafka cluster (its own process), writer schemas from scripts/avro/schema-registry.py
/// (another process), payloads written by fastavro.
@Suite(.serialized) struct AvroRoutineLoadTests {
    static let recordSchema =
        #"{"type":"record","name":"r","fields":[{"name":"id","type":"long"},{"name":"name","type":"string"}]}"#
    static let table =
        "CREATE TABLE t1 (id BIGINT NOT NULL, name VARCHAR(26) NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2"

    static func send(_ servers: String, topic: String, _ messages: [[UInt8]], partitions: Int = 1) async throws {
        try await onDedicatedThread {
            let producer = try KafkaProducer(bootstrapServers: servers, topic: topic)
            for (i, message) in messages.enumerated() {
                try message.withUnsafeBytes { try producer.send($0, partition: Int32(i % partitions)) }
            }
            try producer.flush()
        }
    }

    static func createJob(
        _ sql: SQLClient, _ servers: String, registry: String, name: String = "j1", table: String = "t1",
        topic: String = "avro_t", properties: String = "", clauses: String = ""
    ) async throws {
        let r = try await sql.execute(
            """
            CREATE ROUTINE LOAD db.\(name) ON \(table) \(clauses)
            PROPERTIES ("format" = "avro"\(properties.isEmpty ? "" : ", " + properties))
            FROM KAFKA ("kafka_broker_list" = "\(servers)", "kafka_topic" = "\(topic)",
                        "confluent.schema.registry.url" = "\(registry)",
                        "property.kafka_default_offsets" = "OFFSET_BEGINNING")
            """, database: "db")
        #expect(r.error == nil, "\(r.error ?? "")")
    }

    static func statistic(_ row: [String: String]) -> [String: Int] {
        let parsed = try? JSONSerialization.jsonObject(with: Data((row["Statistic"] ?? "{}").utf8))
        return ((parsed as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.intValue }
    }

    static func rows(_ sql: SQLClient, _ query: String) async throws -> [[String]] {
        try await sql.execute(query, database: "db").rows.map { $0.map { $0 ?? "NULL" } }
    }

    /// Scenarios 1, 2, 10 and 11: framing as the spec writes it, messages of three writer schemas
    /// matched by name in one batch, unreadable messages as error rows with libserdes' words that
    /// pause the job (max_error_number 0) after the batch committed its good rows.
    @Test(.timeLimit(.minutes(2)))
    func evolvingSchemasLoadByNameAndBadMessagesAreErrorRows() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["avro_t": 1])
        defer { broker.stop() }
        let registry = try SchemaRegistryProcess()
        defer { registry.stop() }
        try registry.register(1, schema: Self.recordSchema)
        let evolved =
            #"{"type":"record","name":"r","fields":[{"name":"name","type":"string"},{"name":"id","type":"long"},"#
            + #"{"name":"extra","type":"int"}]}"#
        try registry.register(2, schema: evolved)
        let onlyID = #"{"type":"record","name":"r","fields":[{"name":"id","type":"long"}]}"#
        try registry.register(3, schema: onlyID)
        var messages: [[UInt8]] = [[0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x61]]
        messages += try SchemaRegistryProcess.payloads(
            schema: evolved, id: 2, records: [#"{"name":"b","id":2,"extra":9}"#])
        messages += try SchemaRegistryProcess.payloads(schema: onlyID, id: 3, records: [#"{"id":3}"#])
        messages.append([0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x02, 0x61])  // offset 3: bad magic byte
        messages.append([0x00, 0x00, 0x01])  // offset 4: shorter than the framing
        messages += try SchemaRegistryProcess.payloads(
            schema: Self.recordSchema, id: 1, records: [#"{"id":4,"name":"d"}"#])
        try await Self.send(broker.bootstrapServers, topic: "avro_t", messages)
        let (directory, server, sql) = try await startServer(
            tables: [Self.table], environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        try await Self.createJob(sql, broker.bootstrapServers, registry: registry.url)
        try await RoutineLoadKafkaTests.waitFor("PAUSED") {
            try await RoutineLoadKafkaTests.show(sql, "j1")["State"] == "PAUSED"
        }
        let row = try await RoutineLoadKafkaTests.show(sql, "j1")
        #expect(
            row["ReasonOfStateChanged"]
                == "ErrorReason{errCode = 102, msg='current error rows is more than max error num'}")
        let statistic = Self.statistic(row)
        #expect(statistic["loadedRows"] == 4, "\(statistic)")
        #expect(statistic["errorRows"] == 2, "\(statistic)")
        #expect(row["Progress"] == #"{"0":"5"}"#)
        #expect(
            try await Self.rows(sql, "SELECT id, name FROM t1 ORDER BY id") == [
                ["1", "a"], ["2", "b"], ["3", "NULL"], ["4", "d"],
            ])
        let url = try #require(row["ErrorLogUrls"]?.split(separator: ",").first.map(String.init))
        let log = try Curl.run(["-s", url]).body
        #expect(log.contains("serdes deserialize avro failed: Invalid CP1 magic byte 1, expected 0"), "\(log)")
        #expect(log.contains("Source: topic avro_t, partition 0, offset 3"), "\(log)")
        #expect(log.contains("serdes deserialize avro failed: Payload is smaller (3) than framing (5)"), "\(log)")
        #expect(log.contains("Source: topic avro_t, partition 0, offset 4"), "\(log)")
        // Each writer schema was fetched once.
        #expect(try (1...3).map { try registry.lookups(of: $0) } == [1, 1, 1])
    }

    /// Scenarios 13, 14 and 15: Basic auth from the URL's userinfo (never shown), one registry
    /// lookup per schema id per process for 1,000 messages, and exactly once across a kill -9
    /// in the middle of the stream.
    @Test(.timeLimit(.minutes(3)))
    func basicAuthOneLookupPerProcessAndExactlyOnceAcrossKillNine() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["avro_t": 4])
        defer { broker.stop() }
        let registry = try SchemaRegistryProcess(user: "u", password: "p")
        defer { registry.stop() }
        try registry.register(1, schema: Self.recordSchema)
        let records = (1...1000).map { #"{"id":\#($0),"name":"n\#($0)"}"# }
        let payloads = try SchemaRegistryProcess.payloads(schema: Self.recordSchema, id: 1, records: records)
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var server = try ServerProcess(dataDirectory: directory, environment: RoutineLoadKafkaTests.fastBatches)
        var sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE db", database: nil)
        _ = try await sql.execute(Self.table, database: "db")
        let secretURL = "http://u:p@127.0.0.1:\(registry.port)"
        try await Self.createJob(sql, broker.bootstrapServers, registry: secretURL)
        try await Self.send(broker.bootstrapServers, topic: "avro_t", Array(payloads[..<500]), partitions: 4)
        try await RoutineLoadKafkaTests.waitFor("the first rows") {
            (Self.statistic(try await RoutineLoadKafkaTests.show(sql, "j1"))["loadedRows"] ?? 0) > 0
        }
        let shown = try await sql.execute("SHOW ROUTINE LOAD FOR j1", database: "db")
        let created = try await sql.execute("SHOW CREATE ROUTINE LOAD j1", database: "db")
        let everything = "\(shown.rows) \(created.rows)"
        #expect(everything.contains("http://127.0.0.1:\(registry.port)"), "\(everything)")
        #expect(!everything.contains("u:p@"), "\(everything)")
        let source = try await RoutineLoadKafkaTests.show(sql, "j1")["DataSourceProperties"] ?? ""
        #expect(source.contains(#""confluent.schema.registry.url":"http://127.0.0.1:\#(registry.port)""#), "\(source)")
        server.kill9()
        try await Self.send(broker.bootstrapServers, topic: "avro_t", Array(payloads[500...]), partitions: 4)
        server = try ServerProcess(dataDirectory: directory, environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate() }
        sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        try await RoutineLoadKafkaTests.waitFor("1000 rows", timeout: 60) {
            try await Self.rows(sql, "SELECT count(*) FROM t1") == [["1000"]]
        }
        #expect(
            try await Self.rows(sql, "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(id) FROM t1")
                == [["1000", "1000", "1", "1000", "500500"]])
        #expect(try await Self.rows(sql, "SELECT name FROM t1 WHERE id = 777") == [["n777"]])
        // One lookup per process (two processes ran), every one authorized as u:p.
        #expect(try registry.lookups(of: 1) == 2)
        let authorizations = try registry.authorizations()
        #expect(!authorizations.isEmpty && authorizations.allSatisfy { $0 == "Basic dTpw" }, "\(authorizations)")
    }

    /// Scenarios 3–9 and 18: jsonpaths into nested records through unions, enums, records and
    /// maps into JSON columns, an array into ARRAY<INT>, logical types as their numbers (and
    /// through from_unixtime), the bare "bytes" schema.
    @Test(.timeLimit(.minutes(2)))
    func pathsUnionsEnumsContainersLogicalTypesAndBareBytes() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["sensors": 1, "kinds": 1, "times": 1, "raw": 1])
        defer { broker.stop() }
        let registry = try SchemaRegistryProcess()
        defer { registry.stop() }
        let sensor = """
            {"type":"record","name":"sensor_log","fields":[{"name":"id","type":"long"},
              {"name":"data","type":["null",{"type":"record","name":"d","fields":[
                {"name":"data_x","type":"boolean"},{"name":"data_y","type":"long"}]}]}]}
            """
        // The spec's third symbol is AIR-PRESSURE; Avro names cannot hold '-' (fastavro refuses it).
        let kinds = """
            {"type":"record","name":"kinds","fields":[{"name":"id","type":"long"},
              {"name":"sensor_type","type":{"type":"enum","name":"k","symbols":["TEMPERATURE","HUMIDITY","AIR_PRESSURE"]}},
              {"name":"rec","type":{"type":"record","name":"x","fields":[{"name":"a","type":["null","string"]},
                {"name":"b","type":"long"}]}},
              {"name":"m","type":{"type":"map","values":"long"}},
              {"name":"tags","type":{"type":"array","items":"int"}}]}
            """
        let times = """
            {"type":"record","name":"times","fields":[{"name":"d","type":{"type":"int","logicalType":"date"}},
              {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}}]}
            """
        try registry.register(5, schema: sensor)
        try registry.register(6, schema: kinds)
        try registry.register(8, schema: times)
        try registry.register(7, schema: #""bytes""#)
        try await Self.send(
            broker.bootstrapServers, topic: "sensors",
            try SchemaRegistryProcess.payloads(
                schema: sensor, id: 5,
                records: [#"{"id":1,"data":null}"#, #"{"id":2,"data":{"data_x":true,"data_y":42}}"#]))
        try await Self.send(
            broker.bootstrapServers, topic: "kinds",
            try SchemaRegistryProcess.payloads(
                schema: kinds, id: 6,
                records: [#"{"id":1,"sensor_type":"HUMIDITY","rec":{"a":"x","b":5},"m":{"k":1},"tags":[1,2,3]}"#]))
        let time = try SchemaRegistryProcess.payloads(
            schema: times, id: 8, records: [#"{"d":19723,"ts":1704067200000}"#])
        #expect(time.first.map { Array($0.suffix(9)) } == [0x96, 0xb4, 0x02, 0x80, 0xd0, 0x8f, 0xa5, 0x98, 0x63])
        try await Self.send(broker.bootstrapServers, topic: "times", time)
        try await Self.send(broker.bootstrapServers, topic: "raw", [[0x00, 0x00, 0x00, 0x00, 0x07, 0x41, 0x42]])
        let (directory, server, sql) = try await startServer(
            tables: [
                "CREATE TABLE t2 (id BIGINT, data_y BIGINT) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
                "CREATE TABLE t3 (id BIGINT, sensor_type VARCHAR(20), rec JSON, m JSON, tags ARRAY<INT>) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
                "CREATE TABLE t4 (d_raw INT, ts_raw BIGINT, ts DATETIME) DUPLICATE KEY(d_raw) DISTRIBUTED BY HASH(d_raw) BUCKETS 1",
                "CREATE TABLE t5 (id BIGINT, v VARCHAR(10)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
            ], environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        try await Self.createJob(
            sql, broker.bootstrapServers, registry: registry.url, name: "j2", table: "t2", topic: "sensors",
            properties: #""jsonpaths" = "[\"$.id\",\"$.data.data_y\"]""#, clauses: "COLUMNS(id, data_y)")
        try await Self.createJob(
            sql, broker.bootstrapServers, registry: registry.url, name: "j3", table: "t3", topic: "kinds")
        try await Self.createJob(
            sql, broker.bootstrapServers, registry: registry.url, name: "j4", table: "t4", topic: "times",
            properties: #""jsonpaths" = "[\"$.d\",\"$.ts\"]", "timezone" = "UTC""#,
            clauses: "COLUMNS(d_raw, tmp, ts_raw = tmp, ts = from_unixtime(tmp/1000))")
        try await Self.createJob(
            sql, broker.bootstrapServers, registry: registry.url, name: "j5", table: "t5", topic: "raw",
            properties: #""jsonpaths" = "[\"$\"]""#, clauses: "COLUMNS(v, id = 7)")
        for (table, count, job) in [("t2", 2, "j2"), ("t3", 1, "j3"), ("t4", 1, "j4"), ("t5", 1, "j5")] {
            let loaded = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(100)) {
                try await Self.rows(sql, "SELECT count(*) FROM \(table)") == [["\(count)"]]
            }
            let state = try await RoutineLoadKafkaTests.show(sql, job)
            #expect(loaded, "\(table): \(state)")
        }
        #expect(try await Self.rows(sql, "SELECT id, data_y FROM t2 ORDER BY id") == [["1", "NULL"], ["2", "42"]])
        let kind = try await Self.rows(sql, "SELECT sensor_type, rec, m, tags FROM t3")
        #expect(kind.first?.last == "[1,2,3]")
        #expect(kind.first?.first == "HUMIDITY")
        #expect(
            try kind.first.map { try JSONSerialization.jsonObject(with: Data($0[1].utf8)) as? NSDictionary }
                == ["a": ["string": "x"], "b": 5] as NSDictionary)
        #expect(
            try kind.first.map { try JSONSerialization.jsonObject(with: Data($0[2].utf8)) as? NSDictionary }
                == ["k": 1] as NSDictionary)
        #expect(
            try await Self.rows(sql, "SELECT d_raw, ts_raw, ts FROM t4") == [
                ["19723", "1704067200000", "2024-01-01 00:00:00"]
            ])
        #expect(try await Self.rows(sql, "SELECT id, v FROM t5") == [["7", "AB"]])
    }

    /// Scenario 12 and the registry faults of A.6: an unknown id pauses the job with the registry's
    /// answer and loads nothing; once the schema exists, RESUME loads every message. A registry
    /// failing a few times (HTTP 500) is retried without pausing.
    @Test(.timeLimit(.minutes(2)))
    func registryFaultsRetryThenPauseAndNothingIsLost() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["avro_t": 1])
        defer { broker.stop() }
        let registry = try SchemaRegistryProcess()
        defer { registry.stop() }
        try registry.register(1, schema: Self.recordSchema)
        try await Self.send(
            broker.bootstrapServers, topic: "avro_t",
            try SchemaRegistryProcess.payloads(schema: Self.recordSchema, id: 99, records: [#"{"id":1,"name":"a"}"#]))
        let (directory, server, sql) = try await startServer(
            tables: [Self.table], environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        try await Self.createJob(sql, broker.bootstrapServers, registry: registry.url)
        try await RoutineLoadKafkaTests.waitFor("PAUSED") {
            try await RoutineLoadKafkaTests.show(sql, "j1")["State"] == "PAUSED"
        }
        let paused = try await RoutineLoadKafkaTests.show(sql, "j1")
        #expect(paused["ReasonOfStateChanged"]?.contains("REST request failed (code 404)") == true, "\(paused)")
        #expect(Self.statistic(paused)["loadedRows"] == 0)
        #expect(try await Self.rows(sql, "SELECT count(*) FROM t1") == [["0"]])
        #expect(try registry.lookups(of: 99) >= 3)
        // The schema appears; two more lookups fail with 500 and are retried; nothing is lost.
        try registry.register(99, schema: Self.recordSchema)
        try registry.failLookups(status: 500, count: 2)
        try await Self.send(
            broker.bootstrapServers, topic: "avro_t",
            try SchemaRegistryProcess.payloads(schema: Self.recordSchema, id: 1, records: [#"{"id":2,"name":"b"}"#]))
        let resumed = try await sql.execute("RESUME ROUTINE LOAD FOR j1", database: "db")
        #expect(resumed.error == nil, "\(resumed.error ?? "")")
        try await RoutineLoadKafkaTests.waitFor("both rows") {
            try await Self.rows(sql, "SELECT id, name FROM t1 ORDER BY id") == [["1", "a"], ["2", "b"]]
        }
        #expect(try await RoutineLoadKafkaTests.show(sql, "j1")["State"] == "RUNNING")
    }

    /// Scenarios 16 and 17, Stream Load's refusal, and ALTER of the registry URL.
    @Test(.timeLimit(.minutes(2)))
    func statementsRefuseWhatStarRocksRefuses() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["avro_t": 1])
        defer { broker.stop() }
        let (directory, server, sql) = try await startServer(
            tables: [Self.table], environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate(); try? FileManager.default.removeItem(atPath: directory) }
        func error(_ statement: String) async throws -> String {
            try await sql.execute(statement, database: "db").error ?? ""
        }
        let source = #""kafka_broker_list" = "\#(broker.bootstrapServers)", "kafka_topic" = "avro_t""#
        #expect(
            try await error(#"CREATE ROUTINE LOAD db.j ON t1 PROPERTIES ("format" = "avro") FROM KAFKA (\#(source))"#)
                .contains("confluent.schema.registry.url is a required property"))
        #expect(
            try await error(
                #"CREATE ROUTINE LOAD db.j ON t1 PROPERTIES ("format" = "protobuf") FROM KAFKA (\#(source))"#
            )
            .contains("Format type is invalid. format=`protobuf`"))
        let load = try Curl.run(
            [
                "--location-trusted", "-u", "root:", "-H", "format: avro", "-T", "-",
                "http://127.0.0.1:\(server.port)/api/db/t1/_stream_load",
            ], stdin: Data([0, 0, 0, 0, 1, 2, 2, 0x61]))
        #expect(load.string("Status") == "Fail")
        #expect(load.string("Message")?.contains("unknown data format, format=avro") == true, "\(load.body)")
        // A registry nobody answers at: the batch is retried, then the job pauses with the reason
        // and nothing loaded. ALTER then replaces the stored registry URL.
        try await Self.send(broker.bootstrapServers, topic: "avro_t", [[0, 0, 0, 0, 1, 2, 2, 0x61]])
        try await Self.createJob(sql, broker.bootstrapServers, registry: "http://127.0.0.1:\(freeTCPPort())")
        try await RoutineLoadKafkaTests.waitFor("PAUSED") {
            try await RoutineLoadKafkaTests.show(sql, "j1")["State"] == "PAUSED"
        }
        let down = try await RoutineLoadKafkaTests.show(sql, "j1")["ReasonOfStateChanged"] ?? ""
        #expect(down.contains("REST request failed (code -1)"), "\(down)")
        #expect(try await Self.rows(sql, "SELECT count(*) FROM t1") == [["0"]])
        #expect(
            try await error(
                #"ALTER ROUTINE LOAD FOR j1 FROM KAFKA ("confluent.schema.registry.url" = "https://k:s@registry.example:8081")"#
            ).isEmpty)
        let row = try await RoutineLoadKafkaTests.show(sql, "j1")
        #expect(
            row["DataSourceProperties"]?.contains(#""confluent.schema.registry.url":"https://registry.example:8081""#)
                == true, "\(row)")
    }
}
