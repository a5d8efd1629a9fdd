import Foundation
import SluiceKafka
import SluiceRoutineLoad
import SluiceServer
import SluiceSink
import SluiceStorage
import SluiceTesting
import Testing

/// Issue 17's layout on this machine: the mock cluster as its own process, one Sluice sink,
/// daemons started as `sluice serve --config daemon.json` with a `sink` and `routine_load.jobs`.
@Suite(.serialized) struct ScaleOutTests {
    static let job =
        "CREATE ROUTINE LOAD db.sl_job ON t PROPERTIES (\"format\"=\"json\") FROM KAFKA "
        + "(\"kafka_broker_list\"=\"BROKERS\", \"kafka_topic\"=\"t\", \"property.kafka_default_offsets\"=\"OFFSET_BEGINNING\")"

    /// Writes a daemon's configuration and starts it.
    static func daemon(_ name: String, sink: Int, brokers: String, api: String = "sluice") throws -> ServerProcess {
        let directory = makeTemporaryDirectory()
        let config: [String: Any] = [
            "sink": [
                "url": "http://127.0.0.1:\(sink)", "user": "root", "password": "", "api": api, "daemon_name": name,
                "interval_per_member_ms": 200,
            ],
            "routine_load": [
                "jobs": [Self.job.replacingOccurrences(of: "BROKERS", with: brokers)], "test_batch_interval_ms": 300,
            ],
        ]
        let file = directory + "/daemon.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: file))
        return try ServerProcess(
            dataDirectory: directory + "/data", arguments: ["--config", file],
            environment: ["SLUICE_SINK_SESSION_TIMEOUT_MS": "6000"])
    }

    static func produce(_ servers: String, _ range: Range<Int>, partitions: Int) throws {
        let producer = try KafkaProducer(bootstrapServers: servers, topic: "t")
        for n in range {
            let p = n % partitions, seq = n / partitions
            try producer.send("{\"p\":\(p),\"seq\":\(seq),\"id\":\"\(p)-\(seq)\"}", partition: Int32(p))
        }
        try producer.flush()
    }

    /// Scenarios 1 and 3 of the design note: three daemons share six partitions and load every
    /// message once; one leaves gracefully (SIGTERM) and its partitions move without loss or
    /// duplicates; nothing lingers.
    @Test(.timeLimit(.minutes(4)))
    func threeDaemonsShareTheGroupAndHandOverOnLeave() async throws {
        let broker = try KafkaMockProcess(brokers: 3, topics: ["t": 6])
        defer { broker.stop() }
        let servers = broker.bootstrapServers
        let sinkDirectory = makeTemporaryDirectory()
        let sink = try ServerProcess(dataDirectory: sinkDirectory)
        defer {
            sink.terminate()
            try? FileManager.default.removeItem(atPath: sinkDirectory)
        }
        let sql = SQLClient(host: "127.0.0.1", port: sink.port, user: "root", password: "")
        _ = try await sql.execute("CREATE DATABASE db", database: nil)
        _ = try await sql.execute(
            "CREATE TABLE t (p INT, seq INT, id VARCHAR(32)) DUPLICATE KEY(p) DISTRIBUTED BY HASH(p) BUCKETS 2",
            database: "db")
        try await onDedicatedThread { try Self.produce(servers, 0..<6000, partitions: 6) }
        let daemons = try ["d1", "d2", "d3"].map { try Self.daemon($0, sink: sink.port, brokers: servers) }
        defer {
            for daemon in daemons {
                daemon.terminate()
                try? FileManager.default.removeItem(atPath: daemon.dataDirectory)
            }
        }
        func counts() async throws -> [String?] {
            try await sql.execute("SELECT count(*), count(DISTINCT id) FROM t", database: "db").rows.first ?? []
        }
        func metric(_ daemon: ServerProcess, _ name: String) throws -> Double? {
            let metrics = try Curl.run(["http://127.0.0.1:\(daemon.port)/metrics"]).body
            guard let line = metrics.split(separator: "\n").first(where: { $0.hasPrefix(name + "{job=\"db.sl_job\"}") })
            else { return nil }
            return Double(line.split(separator: " ").last ?? "")
        }
        func owned(_ daemon: ServerProcess) throws -> Int? {
            try metric(daemon, "sluice_routine_load_partitions_owned").map { Int($0) }
        }
        let loaded = try await Eventually.until(timeout: .seconds(90), poll: .milliseconds(250)) {
            try await counts() == ["6000", "6000"]
        }
        let first = try await counts()
        #expect(loaded, "\(first)")
        let spread = try Eventually.until(timeout: .seconds(30), poll: .milliseconds(250)) {
            try daemons.map(owned) == [2, 2, 2]
        }
        let shares = try daemons.map(owned)
        #expect(spread, "\(shares)")
        // The commit budget: three members × 200 ms per member beats the 300 ms interval.
        let budget = try Eventually.until(timeout: .seconds(30), poll: .milliseconds(250)) {
            try daemons.map { try metric($0, "sluice_routine_load_batch_interval_seconds") } == [0.6, 0.6, 0.6]
        }
        let intervals = try daemons.map { try metric($0, "sluice_routine_load_batch_interval_seconds") }
        #expect(budget, "\(intervals)")
        // SHOW ROUTINE LOAD on a daemon: its job, the partitions it owns now, the sink.
        let show = try await SQLClient(host: "127.0.0.1", port: daemons[0].port, user: "root", password: "")
            .execute("SHOW ROUTINE LOAD FOR db.sl_job", database: nil)
        let row = try #require(show.rows.first)
        let columns = show.columns
        #expect(row[columns.firstIndex(of: "State")!] == "RUNNING")
        #expect(row[columns.firstIndex(of: "OtherMsg")!]?.contains("daemon d1 owns partitions [") == true)
        // d2 leaves gracefully: its batch in flight commits, its partitions move.
        let (status, _) = daemons[1].terminate()
        #expect(status == 0)
        try await onDedicatedThread { try Self.produce(servers, 6000..<7200, partitions: 6) }
        let handedOver = try await Eventually.until(timeout: .seconds(90), poll: .milliseconds(250)) {
            try await counts() == ["7200", "7200"]
        }
        let second = try await counts()
        #expect(handedOver, "\(second)")
        let moved = try Eventually.until(timeout: .seconds(30), poll: .milliseconds(250)) {
            try [daemons[0], daemons[2]].map(owned) == [3, 3]
        }
        #expect(moved)
        // One committed interval per partition; no lingering transactions; no fencing needed.
        let client = HTTPTransactionSink(
            settings: try SinkSettings(url: "http://127.0.0.1:\(sink.port)", user: "root", password: "", api: "sluice"))
        let progress = try client.progress(database: "db", job: "sl_job")
        #expect(progress.partitions.count == 6)
        #expect(progress.partitions.values.allSatisfy { $0.committed == [OffsetRange(0, 1199)] }, "\(progress)")
        let lingering = try client.transactions(database: "db", labelPrefix: "sl_job-")
        #expect(lingering.allSatisfy { $0.state == .visible }, "\(lingering)")
        let metrics = try Curl.run(["http://127.0.0.1:\(sink.port)/metrics"]).body
        #expect(metrics.contains("sluice_source_commit_conflicts_total 0"))
    }
}
