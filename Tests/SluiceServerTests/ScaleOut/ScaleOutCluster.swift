import Foundation
import SluiceKafka
import SluiceRoutineLoad
import SluiceServer
import SluiceSink
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// The design note's layout (§5) on this machine: the mock cluster as its own process (with its
/// control channel), one Sluice sink on a fixed port (so it can be killed and restarted), and
/// daemons started as `sluice serve --config daemon.json`. Checks the invariants I1–I7.
final class ScaleOutCluster: @unchecked Sendable {
    // @unchecked: driven by one test at a time; `samples` is a Mutex.
    static let job =
        "CREATE ROUTINE LOAD db.sl_job ON t PROPERTIES (\"format\"=\"json\") FROM KAFKA "
        + "(\"kafka_broker_list\"=\"BROKERS\", \"kafka_topic\"=\"t\", \"property.kafka_default_offsets\"=\"OFFSET_BEGINNING\")"

    /// Every scenario runs on both sink tiers.
    static let tiers = ["sluice", "standard"]

    let broker: KafkaMockProcess
    let partitions: Int
    /// `"sluice"` (tier 1: fenced source commits) or `"standard"` (tiers 2/3: the sink runs with
    /// `load.source_commit_api=false`, as a StarRocks cluster would, and the table carries the
    /// hidden progress columns).
    let api: String
    var standard: Bool { api == "standard" }
    let sinkPort = freeTCPPort()
    let sinkDirectory = makeTemporaryDirectory()
    private(set) var sink: ServerProcess
    private(set) var daemons: [String: ServerProcess] = [:]
    /// Messages produced per partition.
    private(set) var produced: [Int32: Int] = [:]
    /// Every sampled next offset per partition, in order (I6).
    let samples = Mutex<[Int32: [Int64]]>([:])

    init(partitions: Int = 6, api: String = "sluice") async throws {
        precondition(partitions > 0)
        self.partitions = partitions
        self.api = api
        broker = try KafkaMockProcess(brokers: 3, topics: ["t": partitions])
        sink = try Self.startSink(sinkDirectory, port: sinkPort, api: api)
        _ = try await sql("CREATE DATABASE db")
        let hidden = api == "standard" ? ", __sluice_partition INT, __sluice_offset BIGINT" : ""
        _ = try await sql(
            "CREATE TABLE t (p INT, seq INT, id VARCHAR(32)\(hidden)) DUPLICATE KEY(p) DISTRIBUTED BY HASH(p) BUCKETS 2"
        )
    }

    private static func startSink(_ directory: String, port: Int, api: String) throws -> ServerProcess {
        try ServerProcess(
            dataDirectory: directory, arguments: ["--http-port", String(port)],
            environment: api == "standard" ? ["SLUICE_LOAD_SOURCE_COMMIT_API": "false"] : [:])
    }

    var brokers: String { broker.bootstrapServers }

    func sql(_ statement: String) async throws -> SQLClient.Response {
        try await SQLClient(host: "127.0.0.1", port: sinkPort, user: "root", password: "")
            .execute(statement, database: statement.hasPrefix("CREATE DATABASE") ? nil : "db")
    }

    /// Starts daemon `name`; `faults` arms its fault points (SLUICE_FAULTS).
    @discardableResult
    /// - Parameter transactionTimeout: its batches' `begin` timeout, seconds (short by default,
    ///   so a crash's open transaction expires within the test).
    /// - Parameter batchInterval: its `test_batch_interval_ms`; `intervalPerMember` its
    ///   `sink.interval_per_member_ms` (the commit budget).
    func startDaemon(
        _ name: String, faults: String? = nil, transactionTimeout: Int = 5,
        batchInterval: Int = 300, intervalPerMember: Int = 100
    ) throws -> ServerProcess {
        let directory = makeTemporaryDirectory()
        let config: [String: Any] = [
            "sink": [
                "url": "http://127.0.0.1:\(sinkPort)", "user": "root", "password": "", "api": api,
                "daemon_name": name, "interval_per_member_ms": intervalPerMember,
                "transaction_timeout_seconds": transactionTimeout,
                "prepared_timeout_seconds": 30, "session_timeout_ms": 6000, "revoke_commit_deadline_ms": 3000,
            ],
            "routine_load": [
                "jobs": [Self.job.replacingOccurrences(of: "BROKERS", with: brokers)],
                "test_batch_interval_ms": batchInterval,
            ],
        ]
        let file = directory + "/daemon.json"
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: file))
        var environment = [String: String]()
        if let faults { environment["SLUICE_FAULTS"] = faults }
        let daemon = try ServerProcess(
            dataDirectory: directory + "/data", arguments: ["--config", file], environment: environment)
        daemons[name] = daemon
        return daemon
    }

    /// Produces `count` more messages spread over the partitions (or only `into`):
    /// `{"p":…,"seq":…,"id":"p-seq"}`.
    func produce(_ count: Int, into chosen: [Int32]? = nil) async throws {
        let targets = chosen ?? (0..<partitions).map { Int32($0) }
        var next = produced
        var messages = [(Int32, String)]()
        for n in 0..<count {
            let p = targets[n % targets.count]
            let seq = next[p, default: 0]
            next[p] = seq + 1
            messages.append((p, "{\"p\":\(p),\"seq\":\(seq),\"id\":\"\(p)-\(seq)\"}"))
        }
        let servers = brokers
        let batch = messages
        try await onDedicatedThread {
            let producer = try KafkaProducer(bootstrapServers: servers, topic: "t")
            for (p, text) in batch { try producer.send(text, partition: p) }
            try producer.flush()
        }
        produced = next
    }

    var total: Int { produced.values.reduce(0, +) }

    /// Waits until `daemon` logs `fault point <point>: <action>` (it crashed or stopped itself
    /// there), producing more messages meanwhile so its batches keep coming; true once it did.
    func waitForFault(_ daemon: ServerProcess, _ point: String, _ action: String) async throws -> Bool {
        try await Eventually.until(timeout: .seconds(90), poll: .milliseconds(200)) {
            if daemon.output.contains("fault point \(point): \(action)") { return true }
            try await produce(60)
            return false
        }
    }

    func counts() async throws -> [String?] {
        try await sql("SELECT count(*), count(DISTINCT id) FROM t").rows.first ?? []
    }

    /// Waits until every produced message is in the sink (sampling progress for I6).
    func waitLoaded(timeout: Duration = .seconds(120)) async throws -> Bool {
        let expected = ["\(total)", "\(total)"]
        return await Eventually.until(timeout: timeout, poll: .milliseconds(300)) {
            await sampleProgress()
            return (try? await counts()) == expected
        }
    }

    func client() throws -> HTTPTransactionSink {
        HTTPTransactionSink(
            settings: try SinkSettings(url: "http://127.0.0.1:\(sinkPort)", user: "root", password: "", api: "sluice"))
    }

    /// The job's progress: the sink's (tier 1), or from the hidden columns (standard tier:
    /// next = max(__sluice_offset) + 1, the committed range taken as [0, next)).
    func progress() async throws -> SinkProgress {
        guard standard else { return try client().progress(database: "db", job: "sl_job") }
        var progress = SinkProgress()
        for row in try await sql("SELECT __sluice_partition, max(__sluice_offset) FROM t GROUP BY __sluice_partition")
            .rows
        {
            guard let partition = row[0].flatMap({ Int32($0) }), let last = row[1].flatMap({ Int64($0) }) else {
                continue
            }
            progress.partitions[partition] = .init(nextOffset: last + 1, committed: [OffsetRange(0, last)])
        }
        return progress
    }

    func sampleProgress() async {
        guard let progress = try? await progress() else { return }
        samples.withLock { samples in
            for (partition, state) in progress.partitions { samples[partition, default: []].append(state.nextOffset) }
        }
    }

    func sinkMetric(_ name: String) throws -> Double? {
        let text = try Curl.run(["http://127.0.0.1:\(sinkPort)/metrics"]).body
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap {
            Double($0.split(separator: " ").last ?? "")
        }
    }

    /// A daemon's series `metric{job="db.sl_job"<labels>}`, e.g. labels `,kind="lost"`.
    func daemonMetric(_ name: String, _ metric: String, labels: String = "") throws -> Double? {
        guard let daemon = daemons[name] else { return nil }
        let text = try Curl.run(["http://127.0.0.1:\(daemon.port)/metrics"]).body
        let series = metric + "{job=\"db.sl_job\"" + labels + "} "
        return text.split(separator: "\n").first { $0.hasPrefix(series) }.flatMap {
            Double($0.split(separator: " ").last ?? "")
        }
    }

    /// Partitions a daemon owns now (its /metrics).
    func owned(_ name: String) throws -> Int? {
        try daemonMetric(name, "sluice_routine_load_partitions_owned").map { Int($0) }
    }

    func conflicts() throws -> Int { Int(try sinkMetric("sluice_source_commit_conflicts_total") ?? 0) }

    /// Batches fenced out: by the sink's commit check (tier 1), or by a chain label another
    /// writer took, as the daemons count them (standard tier).
    func fencingRejections() throws -> Int {
        guard standard else { return try conflicts() }
        return try daemons.keys.reduce(0) {
            $0 + Int(try daemonMetric($1, "sluice_routine_load_fencing_rejections_total") ?? 0)
        }
    }

    /// I1–I6 after quiesce: no duplicates, no loss, one committed interval per partition equal to
    /// what was produced, the rows match the ranges, nothing lingering, monotonic progress.
    func checkInvariants(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let rows = try await counts()
        #expect(
            rows == ["\(total)", "\(total)"], "I1/I2: rows \(rows), produced \(total)", sourceLocation: sourceLocation)
        if rows != ["\(total)", "\(total)"] { dumpLogs() }
        let perPartition = try await sql("SELECT p, count(*), min(seq), max(seq) FROM t GROUP BY p ORDER BY p").rows
        let expected = produced.sorted { $0.key < $1.key }.map { ["\($0.key)", "\($0.value)", "0", "\($0.value - 1)"] }
        #expect(perPartition == expected, "I4: \(perPartition)", sourceLocation: sourceLocation)
        if standard {
            // I3 from the rows: each batch's rows carry its last offset, so per partition the
            // batches must chain — each starts right after the one before — from 0 to the end.
            let batches = try await sql(
                "SELECT __sluice_partition, __sluice_offset, min(seq), max(seq), count(*) FROM t "
                    + "GROUP BY __sluice_partition, __sluice_offset ORDER BY __sluice_partition, __sluice_offset"
            ).rows.map { $0.map { Int64($0 ?? "") ?? -1 } }
            #expect(batches.count >= produced.count, "I3: \(batches)", sourceLocation: sourceLocation)
            var next = [Int64: Int64]()
            for batch in batches {
                let (partition, last, first, seqLast, count) = (batch[0], batch[1], batch[2], batch[3], batch[4])
                #expect(
                    first == next[partition, default: 0] && seqLast == last && count == last - first + 1,
                    "I3: partition \(partition) batch \(batch) does not continue at \(next[partition, default: 0])",
                    sourceLocation: sourceLocation)
                next[partition] = last + 1
            }
        }
        let progress = try await progress()
        for (partition, count) in produced {
            #expect(
                progress.partitions[partition]?.committed == [OffsetRange(0, Int64(count - 1))],
                "I3: partition \(partition): \(String(describing: progress.partitions[partition]))",
                sourceLocation: sourceLocation)
        }
        let lingering = try client().transactions(database: "db", labelPrefix: "sl_job-").filter {
            $0.state != .visible
        }
        #expect(lingering.isEmpty, "I5: \(lingering)", sourceLocation: sourceLocation)
        for (partition, sampled) in samples.withLock({ $0 }) {
            #expect(
                zip(sampled, sampled.dropFirst()).allSatisfy { $0 <= $1 }, "I6: partition \(partition) went back",
                sourceLocation: sourceLocation)
        }
    }

    /// Leaves every daemon's log under the temporary directory (named in the test output).
    func dumpLogs() {
        let directory = NSTemporaryDirectory() + "scale-out-logs-\(sinkPort)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, daemon) in daemons {
            try? Data(daemon.output.utf8).write(to: URL(fileURLWithPath: "\(directory)/\(name).log"))
        }
        try? Data(sink.output.utf8).write(to: URL(fileURLWithPath: "\(directory)/sink.log"))
        print("scale-out logs: \(directory)")
    }

    /// Waits until no transaction of the job is open or PREPARED (I5 after a crash's leftovers expire).
    func waitNoLingering(timeout: Duration = .seconds(60)) async throws -> Bool {
        let client = try client()
        return Eventually.until(timeout: timeout, poll: .milliseconds(300)) {
            (try? client.transactions(database: "db", labelPrefix: "sl_job-").allSatisfy { $0.state == .visible })
                == true
        }
    }

    /// Kills the sink (SIGKILL) and starts it again on the same port and data directory.
    func restartSink(after kill: () async throws -> Void = {}) async throws {
        sink.kill9()
        try await kill()
        sink = try Self.startSink(sinkDirectory, port: sinkPort, api: api)
    }

    func stop() {
        for daemon in daemons.values {
            daemon.kill9()
            try? FileManager.default.removeItem(
                atPath: URL(fileURLWithPath: daemon.dataDirectory).deletingLastPathComponent().path)
        }
        sink.terminate()
        try? FileManager.default.removeItem(atPath: sinkDirectory)
        broker.stop()
    }
}
