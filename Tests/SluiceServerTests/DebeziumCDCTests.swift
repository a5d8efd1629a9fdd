import Foundation
import SluiceKafka
import SluiceServer
import SluiceTesting
import Testing

/// CDC from Kafka into PRIMARY KEY tables (issue 13, spec table-models §6): Debezium change
/// events through examples/routine-load/debezium-cdc.sql (`envelope = debezium`) and through the
/// hand-written jsonpaths form, across a kill -9 and a replay from OFFSET_BEGINNING.
@Suite(.serialized) struct DebeziumCDCTests {
    static let partitions = 4

    /// A seeded change stream of a source table: (key, event JSON or nil for a tombstone).
    struct ChangeStream {
        var events: [(key: Int, json: String?)] = []
        var final: [Int: (String, String)] = [:]

        init(seed: UInt64, keys: Int, count: Int) {
            var rng = SeededRandom(seed: seed)
            var state = [Int: (String, String)]()
            var version = 0
            while events.count < count {
                let key = Int.random(in: 1...keys, using: &rng)
                version += 1
                let after = (name: "n\(key)v\(version)", email: "k\(key)@v\(version).example")
                if let before = state[key] {
                    let beforeJSON = #"{"id":\#(key),"name":"\#(before.0)","email":"\#(before.1)"}"#
                    if Int.random(in: 0..<10, using: &rng) < 3 {
                        events.append(
                            (key, #"{"payload":{"before":\#(beforeJSON),"after":null,"op":"d","ts_ms":\#(version)}}"#))
                        events.append((key, nil))
                        state[key] = nil
                    } else {
                        let afterJSON = #"{"id":\#(key),"name":"\#(after.name)","email":"\#(after.email)"}"#
                        events.append(
                            (
                                key,
                                #"{"payload":{"before":\#(beforeJSON),"after":\#(afterJSON),"op":"u","ts_ms":\#(version)}}"#
                            ))
                        state[key] = (after.name, after.email)
                    }
                } else {
                    let afterJSON = #"{"id":\#(key),"name":"\#(after.name)","email":"\#(after.email)"}"#
                    // Snapshot reads (r) and inserts (c), without the payload wrapper at times.
                    let op = version % 7 == 0 ? "r" : "c"
                    let event = #"{"before":null,"after":\#(afterJSON),"op":"\#(op)","ts_ms":\#(version)}"#
                    events.append((key, version % 2 == 0 ? event : #"{"payload":\#(event)}"#))
                    state[key] = (after.name, after.email)
                }
            }
            final = state
        }

        var expectedRows: [[String?]] {
            final.keys.sorted().map { [String($0), final[$0]!.0, final[$0]!.1] }
        }
    }

    static func produce(
        _ servers: String, topic: String, _ events: ArraySlice<(key: Int, json: String?)>, partitions: Int = partitions
    ) async throws {
        try await onDedicatedThread {
            let producer = try KafkaProducer(bootstrapServers: servers, topic: topic)
            for (key, json) in events {
                let bytes = Array((json ?? "").utf8)
                // Keyed by the primary key: one key's events stay in order in one partition.
                try bytes.withUnsafeBytes {
                    try producer.send($0, partition: Int32(key % partitions), key: Array(String(key).utf8))
                }
            }
            try producer.flush()
        }
    }

    static func statistic(_ sql: SQLClient, job: String, database: String) async throws -> [String: Any] {
        let r = try await sql.execute("SHOW ROUTINE LOAD FOR \(job)", database: database)
        guard let row = r.rows.last, let index = r.columns.firstIndex(of: "Statistic"), let text = row[index] else {
            return [:]
        }
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    static func converge(_ sql: SQLClient, _ query: String, database: String, to expected: [[String?]]) async throws {
        var last = [[String?]]()
        let done = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(200)) {
            last = try await sql.execute(query, database: database).rows
            return last == expected
        }
        #expect(done, "table has \(last.count) rows, the source \(expected.count)")
    }

    @Test(.timeLimit(.minutes(4)))
    func exampleJobConvergesAcrossKillNineAndAReplayFromTheBeginning() async throws {
        let broker = try KafkaMockProcess(brokers: 1, topics: ["customers.cdc": Self.partitions])
        defer { broker.stop() }
        let directory = makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var server = try ServerProcess(dataDirectory: directory, environment: RoutineLoadKafkaTests.fastBatches)
        var sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE demo", database: nil)
        for statement in try ExamplesTests.statements("examples/routine-load/debezium-cdc.sql") {
            let text = statement.replacingOccurrences(of: "${KAFKA_BROKERS}", with: broker.bootstrapServers)
            let r = try await sql.execute(text, database: "demo")
            #expect(r.error == nil, "\(statement): \(r.error ?? "")")
        }
        let stream = ChangeStream(seed: 20_261_204, keys: 120, count: 1_500)
        let half = stream.events.count / 2
        try await Self.produce(broker.bootstrapServers, topic: "customers.cdc", stream.events[..<half])
        // Some of the first half is in, then the server dies mid-stream.
        _ = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(100)) {
            (try await Self.statistic(sql, job: "customers_cdc", database: "demo")["loadedRows"] as? Int ?? 0) > 0
        }
        server.kill9()
        server = try ServerProcess(dataDirectory: directory, environment: RoutineLoadKafkaTests.fastBatches)
        defer { _ = server.terminate() }
        sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        try await Self.produce(broker.bootstrapServers, topic: "customers.cdc", stream.events[half...])
        let query = "SELECT id, name, email FROM customers ORDER BY id"
        try await Self.converge(sql, query, database: "demo", to: stream.expectedRows)
        let statistic = try await Self.statistic(sql, job: "customers_cdc", database: "demo")
        #expect(statistic["errorRows"] as? Int == 0, "\(statistic)")
        // Replay everything from the beginning, loading committed offsets again: the table ends
        // as one pass left it (deletes stay deleted, no row comes back).
        let loaded = statistic["loadedRows"] as? Int ?? 0
        let offsets = Array(repeating: "OFFSET_BEGINNING", count: Self.partitions).joined(separator: ",")
        let partitions = (0..<Self.partitions).map(String.init).joined(separator: ",")
        for statement in [
            "PAUSE ROUTINE LOAD FOR customers_cdc",
            """
            ALTER ROUTINE LOAD FOR customers_cdc PROPERTIES ("reload_committed_offsets" = "true")
            FROM KAFKA ("kafka_partitions" = "\(partitions)", "kafka_offsets" = "\(offsets)")
            """,
            "RESUME ROUTINE LOAD FOR customers_cdc",
        ] {
            let r = try await sql.execute(statement, database: "demo")
            #expect(r.error == nil, "\(statement): \(r.error ?? "")")
        }
        let replayed = try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(200)) {
            (try await Self.statistic(sql, job: "customers_cdc", database: "demo")["loadedRows"] as? Int ?? 0)
                >= loaded + stream.events.filter { $0.json != nil }.count
        }
        #expect(replayed)
        try await Self.converge(sql, query, database: "demo", to: stream.expectedRows)
    }

    @Test(.timeLimit(.minutes(3)))
    func handWrittenJSONPathsJobAndStreamLoadEnvelope() async throws {
        // Spec §6.1 (2): the full envelope mapped with jsonpaths and COLUMNS expressions.
        let broker = try KafkaMockProcess(brokers: 1, topics: ["app": 1])
        defer { broker.stop() }
        let (directory, server, sql) = try await startServer(
            tables: [
                "CREATE TABLE app (id INT NOT NULL, name VARCHAR(64) NULL) PRIMARY KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 1"
            ], environment: RoutineLoadKafkaTests.fastBatches)
        defer {
            server.terminate()
            try? FileManager.default.removeItem(atPath: directory)
        }
        let events: [(key: Int, json: String?)] = [
            (1, #"{"payload":{"before":null,"after":{"id":1,"name":"a"},"op":"c","ts_ms":1}}"#),
            (2, #"{"payload":{"before":null,"after":{"id":2,"name":"b"},"op":"c","ts_ms":2}}"#),
            (1, #"{"payload":{"before":{"id":1,"name":"a"},"after":{"id":1,"name":"a2"},"op":"u","ts_ms":3}}"#),
            (2, #"{"payload":{"before":{"id":2,"name":"b"},"after":null,"op":"d","ts_ms":4}}"#),
        ]
        try await Self.produce(broker.bootstrapServers, topic: "app", events[...], partitions: 1)
        let created = try await sql.execute(
            """
            CREATE ROUTINE LOAD db.app_cdc ON app
            COLUMNS (a_id, b_id, a_name, op, ts, id = ifnull(a_id, b_id), name = a_name, __op = if(op = 'd', 1, 0))
            PROPERTIES ("format" = "json",
              "jsonpaths" = "[\\"$.payload.after.id\\",\\"$.payload.before.id\\",\\"$.payload.after.name\\",\\"$.payload.op\\",\\"$.payload.ts_ms\\"]")
            FROM KAFKA ("kafka_broker_list" = "\(broker.bootstrapServers)", "kafka_topic" = "app",
                        "property.kafka_default_offsets" = "OFFSET_BEGINNING")
            """, database: "db")
        #expect(created.error == nil, "\(created.error ?? "")")
        try await Self.converge(sql, "SELECT id, name FROM app ORDER BY id", database: "db", to: [["1", "a2"]])
        var statistic = [String: Any]()
        _ = try await Eventually.until(timeout: .seconds(30), poll: .milliseconds(100)) {
            statistic = try await Self.statistic(sql, job: "app_cdc", database: "db")
            return statistic["loadedRows"] as? Int == 4
        }
        let shown = try await sql.execute("SHOW ROUTINE LOAD FOR app_cdc", database: "db").rows
        #expect(statistic["loadedRows"] as? Int == 4, "\(shown)")
        #expect(statistic["errorRows"] as? Int == 0, "\(statistic)")

        // The Stream Load header: the same events, a tombstone and a bad event.
        let body = events.compactMap(\.json).joined(separator: "\n") + "\n{\"payload\":null}\n"
        let port = server.port
        let loaded = try Curl.streamLoad(
            port: port, database: "db", table: "app", body: body, headers: ["format": "json", "envelope": "debezium"])
        #expect(loaded.string("Status") == "Success", "\(loaded.body)")
        #expect(loaded.int("NumberLoadedRows") == 4)
        #expect(try await sql.execute("SELECT id, name FROM app ORDER BY id", database: "db").rows == [["1", "a2"]])
        let bad = try Curl.streamLoad(
            port: port, database: "db", table: "app", body: #"{"payload":{"after":{"id":3},"op":"x"}}"#,
            headers: ["format": "json", "envelope": "debezium"])
        #expect(bad.string("Status") == "Fail")
        let log = try Curl.run([try #require(bad.string("ErrorURL"))])
        #expect(log.body.contains("op 'x' is not c, r, u or d"))
    }
}
