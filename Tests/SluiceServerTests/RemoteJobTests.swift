import Foundation
import Logging
import SluiceKafka
import SluiceRoutineLoad
import SluiceServer
import SluiceSink
import SluiceStorage
import SluiceTesting
import Testing

/// Remote-sink jobs for real: the mock cluster in its own process, a Sluice sink process, and
/// daemons' jobs (``RemoteJob``) in this process sharing one consumer group.
@Suite(.serialized) struct RemoteJobTests {
    static func definition(brokers: String) throws -> JobDefinition {
        let properties = try JobProperties(
            properties: ["format": "json", "max_batch_interval": "5"],
            source: [
                "kafka_broker_list": brokers, "kafka_topic": "events",
                "property.kafka_default_offsets": "OFFSET_BEGINNING",
            ])
        return JobDefinition(
            id: 0, name: "sl_job", database: "db", table: "t", clauses: LoadClauses(), properties: properties,
            rawProperties: [:], createTime: 0, groupID: "")
    }

    static func job(_ daemon: String, sink port: Int, brokers: String, api: String = "sluice") throws -> RemoteJob {
        var settings = RemoteJobSettings(daemon: daemon, wait: { HTTPTransactionSink.sleep($0) })
        settings.groupSettings = ["session.timeout.ms": "6000", "heartbeat.interval.ms": "500"]
        settings.batchIntervalOverride = .milliseconds(300)
        settings.intervalPerMember = .milliseconds(150)
        let sink = HTTPTransactionSink(
            settings: try SinkSettings(url: "http://127.0.0.1:\(port)", user: "root", password: "", api: api))
        return RemoteJob(
            definition: try definition(brokers: brokers), sink: sink, factory: KafkaGroupSourceFactory(),
            settings: settings, logger: Logger(label: "remote-\(daemon)"))
    }

    /// The mock cluster (topic `events`) and a sink process holding `db.t`.
    struct Fixture {
        let broker: KafkaMockProcess
        let directory = makeTemporaryDirectory()
        let sinkServer: ServerProcess
        let sql: SQLClient
        var servers: String { broker.bootstrapServers }

        init(brokers: Int, partitions: Int, environment: [String: String] = [:]) async throws {
            broker = try KafkaMockProcess(brokers: brokers, topics: ["events": partitions])
            sinkServer = try ServerProcess(dataDirectory: directory, environment: environment)
            sql = SQLClient(host: "127.0.0.1", port: sinkServer.port, user: "root", password: "")
            _ = try await sql.execute("CREATE DATABASE db", database: nil)
            _ = try await sql.execute(
                "CREATE TABLE t (p INT, seq INT, id VARCHAR(32)) DUPLICATE KEY(p) DISTRIBUTED BY HASH(p) BUCKETS 2",
                database: "db")
        }

        func stop() {
            sinkServer.terminate()
            try? FileManager.default.removeItem(atPath: directory)
            broker.stop()
        }
    }

    static func produce(_ servers: String, _ range: Range<Int>, partitions: Int) throws {
        let producer = try KafkaProducer(bootstrapServers: servers, topic: "events")
        for n in range {
            let p = n % partitions
            try producer.send(
                "{\"p\":\(p),\"seq\":\(n / partitions),\"id\":\"\(p)-\(n / partitions)\"}", partition: Int32(p))
        }
        try producer.flush()
    }

    /// A standard-API daemon whose table lacks the progress columns loads nothing and says why
    /// (the job's last error names the ALTER TABLE), and starts once the table has them.
    @Test(.timeLimit(.minutes(3)))
    func aStandardTableWithoutProgressColumnsIsNamedThenLoads() async throws {
        let f = try await Fixture(brokers: 1, partitions: 2, environment: ["SLUICE_LOAD_SOURCE_COMMIT_API": "false"])
        defer { f.stop() }
        let (servers, sinkServer, sql) = (f.servers, f.sinkServer, f.sql)
        try await onDedicatedThread { try Self.produce(servers, 0..<200, partitions: 2) }
        let job = try Self.job("d1", sink: sinkServer.port, brokers: servers, api: "standard")
        job.start()
        let named = Eventually.until(timeout: .seconds(60), poll: .milliseconds(100)) {
            job.snapshot.lastError.contains("ADD COLUMN __sluice_partition INT")
        }
        #expect(named, "\(job.snapshot.lastError)")
        // (A Sluice node has no schema change: the table is created again with the columns.)
        _ = try await sql.execute("DROP TABLE t", database: "db")
        _ = try await sql.execute(
            "CREATE TABLE t (p INT, seq INT, id VARCHAR(32), __sluice_partition INT, __sluice_offset BIGINT) "
                + "DUPLICATE KEY(p) DISTRIBUTED BY HASH(p) BUCKETS 2", database: "db")
        let loaded = try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(200)) {
            try await sql.execute("SELECT count(*), count(DISTINCT id) FROM t", database: "db").rows.first
                == ["200", "200"]
        }
        try await onDedicatedThread { job.stop() }
        #expect(loaded, "\(job.snapshot.lastError)")
        let ends = try await sql.execute(
            "SELECT __sluice_partition, max(__sluice_offset) FROM t GROUP BY __sluice_partition ORDER BY 1",
            database: "db"
        ).rows
        #expect(ends == [["0", "99"], ["1", "99"]])
    }

    @Test(.timeLimit(.minutes(3)))
    func twoDaemonsLoadEveryMessageOnceAndHandOver() async throws {
        let f = try await Fixture(brokers: 3, partitions: 4)
        defer { f.stop() }
        let (servers, sinkServer, sql) = (f.servers, f.sinkServer, f.sql)
        try await onDedicatedThread { try Self.produce(servers, 0..<2000, partitions: 4) }
        let d1 = try Self.job("d1", sink: sinkServer.port, brokers: servers)
        let d2 = try Self.job("d2", sink: sinkServer.port, brokers: servers)
        d1.start()
        d2.start()
        func counts() async throws -> [String?] {
            try await sql.execute("SELECT count(*), count(DISTINCT id) FROM t", database: "db").rows.first ?? []
        }
        let loaded = try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(200)) {
            try await counts() == ["2000", "2000"]
        }
        let afterFirst = try await counts()
        #expect(loaded, "\(afterFirst)")
        #expect(
            d1.snapshot.owned.count == 2 && d2.snapshot.owned.count == 2, "\(d1.snapshot.owned) \(d2.snapshot.owned)")
        // d2 leaves gracefully; d1 takes all four partitions from the sink's progress.
        try await onDedicatedThread { d2.stop() }
        try await onDedicatedThread { try Self.produce(servers, 2000..<2400, partitions: 4) }
        let handedOver = try await Eventually.until(timeout: .seconds(60), poll: .milliseconds(200)) {
            try await counts() == ["2400", "2400"]
        }
        let afterHandover = try await counts()
        #expect(handedOver, "\(afterHandover)")
        #expect(d1.snapshot.owned.count == 4)
        #expect(d1.snapshot.owned.values.allSatisfy { $0 == 600 }, "\(d1.snapshot.owned)")
        try await onDedicatedThread { d1.stop() }
        let progress = try HTTPTransactionSink(
            settings: try SinkSettings(
                url: "http://127.0.0.1:\(sinkServer.port)", user: "root", password: "", api: "sluice")
        ).progress(database: "db", job: "sl_job")
        #expect(
            progress.partitions.mapValues(\.committed) == [
                0: [OffsetRange(0, 599)], 1: [OffsetRange(0, 599)], 2: [OffsetRange(0, 599)], 3: [OffsetRange(0, 599)],
            ])
        #expect(d1.snapshot.fencingRejections + d2.snapshot.fencingRejections == 0)
        let lingering = try await sql.execute(
            "SELECT count(*) FROM information_schema.loads WHERE STATE = 'PREPARED'", database: nil)
        #expect(lingering.rows.first?.first == "0")
    }
}
