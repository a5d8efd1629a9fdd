import Foundation
import SluiceKafka
import SluiceServer
import SluiceTesting
import Testing

/// Routine Load into PRIMARY KEY tables (spec table-models §8 scenarios 37–40): operations in one
/// batch keep offset order, merge_condition across partitions, null and empty messages, partial
/// updates.
@Suite(.serialized) struct PrimaryKeyRoutineLoadTests {
    static let tables = [
        "CREATE TABLE pk1 (id INT NOT NULL, name VARCHAR(64) NULL, score INT NOT NULL DEFAULT \"0\", version INT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE t1 (id INT NOT NULL, name VARCHAR(64) NULL, score INT NULL) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE ops (id INT NOT NULL, name VARCHAR(64) NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE ops2 (id INT NOT NULL, name VARCHAR(64) NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE ev (id INT NOT NULL, v VARCHAR(10) NULL, ts BIGINT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE ev2 (id INT NOT NULL, v VARCHAR(10) NULL, ts BIGINT NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
        "CREATE TABLE js (id INT NOT NULL, name VARCHAR(64) NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1",
    ]

    static func produce(_ servers: String, _ topic: String, _ messages: [(partition: Int32, text: String)]) async throws
    {
        try await onDedicatedThread {
            let producer = try KafkaProducer(bootstrapServers: servers, topic: topic)
            for (partition, text) in messages {
                try Array(text.utf8).withUnsafeBytes { try producer.send($0, partition: partition) }
            }
            try producer.flush()
        }
    }

    static func job(
        _ sql: SQLClient, _ name: String, on table: String, topic: String, servers: String, clauses: String,
        properties: String = "", partitions: String? = nil
    ) async throws -> String? {
        let props = properties.isEmpty ? "" : "PROPERTIES (\(properties))"
        let only = partitions.map { #", "kafka_partitions" = "\#($0)", "kafka_offsets" = "OFFSET_BEGINNING""# } ?? ""
        return try await sql.execute(
            """
            CREATE ROUTINE LOAD db.\(name) ON \(table) \(clauses) \(props)
            FROM KAFKA ("kafka_broker_list" = "\(servers)", "kafka_topic" = "\(topic)",
                        "property.kafka_default_offsets" = "OFFSET_BEGINNING"\(only))
            """, database: "db"
        ).error
    }

    static func until(_ sql: SQLClient, _ query: String, is expected: [[String?]]) async throws {
        var last = [[String?]]()
        let done = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(100)) {
            last = try await sql.execute(query, database: "db").rows
            return last == expected
        }
        #expect(done, "\(query): \(last)")
    }

    @Test(.timeLimit(.minutes(3)))
    func scenarios37To40() async throws {
        let broker = try KafkaMockProcess(
            brokers: 1, topics: ["ops": 1, "ops2": 1, "ev": 2, "ev2": 2, "js": 1, "pu": 1])
        defer { broker.stop() }
        let servers = broker.bootstrapServers
        let (directory, server, sql) = try await startServer(
            tables: Self.tables, environment: RoutineLoadKafkaTests.fastBatches)
        defer {
            server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let csv = "COLUMNS TERMINATED BY \",\", COLUMNS (id, name, __op)"
        // 37. Delete and re-insert of one key in one batch keep offset order.
        try await Self.produce(servers, "ops", [(0, "1,a,0"), (0, "1,a,1"), (0, "1,a3,0")])
        try await Self.produce(servers, "ops2", [(0, "1,a,0"), (0, "1,a3,0"), (0, "1,a3,1"), (0, "2,b,0")])
        #expect(try await Self.job(sql, "j37", on: "ops", topic: "ops", servers: servers, clauses: csv) == nil)
        #expect(try await Self.job(sql, "j37b", on: "ops2", topic: "ops2", servers: servers, clauses: csv) == nil)
        try await Self.until(sql, "SELECT * FROM ops", is: [["1", "a3"]])
        try await Self.until(sql, "SELECT * FROM ops2", is: [["2", "b"]])

        // 38. Out of order across partitions: merge_condition keeps the newer row.
        for topic in ["ev", "ev2"] { try await Self.produce(servers, topic, [(0, "1,new,200"), (1, "1,old,100")]) }
        let evClauses = "COLUMNS TERMINATED BY \",\", COLUMNS (id, v, ts)"
        let condition = #""merge_condition" = "ts""#
        #expect(
            try await Self.job(
                sql, "eva", on: "ev", topic: "ev", servers: servers, clauses: evClauses, properties: condition,
                partitions: "0") == nil)
        #expect(
            try await Self.job(
                sql, "ev2a", on: "ev2", topic: "ev2", servers: servers, clauses: evClauses, partitions: "0")
                == nil)
        try await Self.until(sql, "SELECT * FROM ev", is: [["1", "new", "200"]])
        try await Self.until(sql, "SELECT * FROM ev2", is: [["1", "new", "200"]])
        #expect(
            try await Self.job(
                sql, "evb", on: "ev", topic: "ev", servers: servers, clauses: evClauses, properties: condition,
                partitions: "1") == nil)
        #expect(
            try await Self.job(
                sql, "ev2b", on: "ev2", topic: "ev2", servers: servers, clauses: evClauses, partitions: "1")
                == nil)
        try await Self.until(sql, "SELECT * FROM ev2", is: [["1", "old", "100"]])
        _ = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(100)) {
            let r = try await sql.execute("SHOW ROUTINE LOAD FOR evb", database: "db")
            return r.rows.last?.contains { $0?.contains("\"loadedRows\":1") == true } == true
        }
        #expect(try await sql.execute("SELECT * FROM ev", database: "db").rows == [["1", "new", "200"]])

        // 39. Null and empty messages on a JSON job are skipped; the job keeps running.
        try await Self.produce(
            servers, "js", [(0, #"{"id":5,"name":"e"}"#), (0, ""), (0, "   "), (0, #"{"id":6,"name":"f"}"#)])
        #expect(
            try await Self.job(
                sql, "j39", on: "js", topic: "js", servers: servers, clauses: "", properties: #""format" = "json""#)
                == nil)
        try await Self.until(sql, "SELECT * FROM js ORDER BY id", is: [["5", "e"], ["6", "f"]])
        let shown = try await sql.execute("SHOW ROUTINE LOAD FOR j39", database: "db")
        let row = try #require(shown.rows.last)
        let column = { (name: String) in shown.columns.firstIndex(of: name).flatMap { row[$0] } }
        #expect(column("State") == "RUNNING")
        #expect(column("Statistic")?.contains("\"errorRows\":0") == true)

        // 40. Partial update through Routine Load; refused on a DUPLICATE table at CREATE.
        _ = try await sql.execute("INSERT INTO pk1 VALUES (1, 'a', 10, 5)", database: "db")
        try await Self.produce(servers, "pu", [(0, "1,zz")])
        let partial = #""partial_update" = "true""#
        let puClauses = "COLUMNS TERMINATED BY \",\", COLUMNS (id, name)"
        #expect(
            try await Self.job(
                sql, "j40", on: "pk1", topic: "pu", servers: servers, clauses: puClauses, properties: partial)
                == nil)
        try await Self.until(sql, "SELECT * FROM pk1", is: [["1", "zz", "10", "5"]])
        let refused = try await Self.job(
            sql, "j40b", on: "t1", topic: "pu", servers: servers, clauses: puClauses, properties: partial)
        #expect(refused?.contains("Only primary key table support partial update") == true, "\(refused ?? "")")
    }
}
