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

    let broker: KafkaMockProcess
    let partitions: Int
    let sinkPort = freeTCPPort()
    let sinkDirectory = makeTemporaryDirectory()
    private(set) var sink: ServerProcess
    private(set) var daemons: [String: ServerProcess] = [:]
    /// Messages produced per partition.
    private(set) var produced: [Int32: Int] = [:]
    /// Every sampled next offset per partition, in order (I6).
    let samples = Mutex<[Int32: [Int64]]>([:])

    init(partitions: Int = 6) async throws {
        precondition(partitions > 0)
        self.partitions = partitions
        broker = try KafkaMockProcess(brokers: 3, topics: ["t": partitions])
        sink = try ServerProcess(dataDirectory: sinkDirectory, arguments: ["--http-port", String(sinkPort)])
        _ = try await sql("CREATE DATABASE db")
        _ = try await sql(
            "CREATE TABLE t (p INT, seq INT, id VARCHAR(32)) DUPLICATE KEY(p) DISTRIBUTED BY HASH(p) BUCKETS 2")
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
        _ name: String, faults: String? = nil, api: String = "sluice", transactionTimeout: Int = 5,
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
            sampleProgress()
            return (try? await counts()) == expected
        }
    }

    func client() throws -> HTTPTransactionSink {
        HTTPTransactionSink(
            settings: try SinkSettings(url: "http://127.0.0.1:\(sinkPort)", user: "root", password: "", api: "sluice"))
    }

    func progress() throws -> SinkProgress { try client().progress(database: "db", job: "sl_job") }

    func sampleProgress() {
        guard let progress = try? progress() else { return }
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
        let progress = try progress()
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
        sink = try ServerProcess(dataDirectory: sinkDirectory, arguments: ["--http-port", String(sinkPort)])
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
