import Foundation
import SluiceIO
import SluiceKafka
import SluiceServer
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// The exactly-once chaos run: a mock Kafka cluster process, `sluice serve` as a child killed
/// with SIGKILL at random moments and at named fault points, brokers taken down and up, the job
/// rewound to OFFSET_BEGINNING, and Stream Loads with retried labels all along. At the end every
/// produced id is in the table exactly once, Progress matches the topic's end offsets, every
/// acknowledged label is visible once, and fsck finds nothing wrong.
///
/// The default test run does a short version; `scripts/chaos.sh` sets SLUICE_CHAOS_ROUNDS (≥ 50
/// kills) and SLUICE_CHAOS_REPORT (the results table in docs/).
@Suite(.serialized) struct ChaosTests {
    static let partitions = 8
    static let kafkaTable =
        "CREATE TABLE k (id BIGINT NOT NULL, p INT, v VARCHAR(16)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2"
    static let loadTable =
        "CREATE TABLE s (id BIGINT NOT NULL, label VARCHAR(32)) DUPLICATE KEY(id) DISTRIBUTED BY HASH(id) BUCKETS 2"
    /// Every named point but the disk-full one (`fail` only; crashes there are random kills anyway).
    static let crashPoints = FaultPoints.known.filter { $0 != "storage.segment_write" }

    struct Tally {
        var randomKills = 0
        var faultKills: [String: Int] = [:]
        var faultsNotReached = 0
        var brokerFaults = 0
        var rewinds = 0
        var produced = 0
        var acknowledgedLabels = 0
        var attemptedLabels = 0
    }

    /// The server of the moment (restarted after every kill).
    final class Current: Sendable {
        private let port = Mutex(0)
        func get() -> Int { port.withLock { $0 } }
        func set(_ p: Int) { port.withLock { $0 = p } }
    }

    /// Starts a server on a dedicated thread (waiting for it must not block the cooperative pool,
    /// which the other suites share).
    static func start(_ directory: String, _ environment: [String: String]) async throws -> ServerProcess {
        try await onDedicatedThread { try ServerProcess(dataDirectory: directory, environment: environment) }
    }

    static func kill(_ server: ServerProcess) async throws {
        try await onDedicatedThread { server.kill9() }
    }

    @Test(.timeLimit(.minutes(15)))
    func killsFaultsRewindsAndRetriesLoadEverythingExactlyOnce() async throws {
        let environment = ProcessInfo.processInfo.environment
        let rounds = Int(environment["SLUICE_CHAOS_ROUNDS"] ?? "") ?? 6
        let perRound = Int(environment["SLUICE_CHAOS_MESSAGES"] ?? "") ?? 400
        let seed = SeededRandom.seedFromEnvironment(default: 20261123)
        var rng = SeededRandom(seed: seed)
        print("chaos: seed \(seed) (SLUICE_SEED=\(seed) replays), \(rounds) rounds")
        let started = Date()

        let broker = try KafkaMockProcess(brokers: 3, topics: ["chaos": Self.partitions])
        defer { broker.stop() }
        let directory = makeTemporaryDirectory("sluice-chaos")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = [
            "SLUICE_ROUTINE_LOAD_TEST_BATCH_INTERVAL_MS": "250", "SLUICE_STORAGE_CHECKPOINT_INTERVAL": "40",
            "SLUICE_STORAGE_COMPACTION_THRESHOLD": "3",
        ]
        var server = try await Self.start(directory, base)
        let current = Current()
        current.set(server.port)
        var sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        #expect(try await sql.execute("CREATE DATABASE db", database: nil).error == nil)
        #expect(try await sql.execute(Self.kafkaTable, database: "db").error == nil)
        #expect(try await sql.execute(Self.loadTable, database: "db").error == nil)
        let create = try await sql.execute(
            """
            CREATE ROUTINE LOAD db.chaos_job ON k COLUMNS TERMINATED BY ','
            PROPERTIES ("desired_concurrent_number" = "3")
            FROM KAFKA ("kafka_broker_list" = "\(broker.bootstrapServers)", "kafka_topic" = "chaos",
                        "property.kafka_default_offsets" = "OFFSET_BEGINNING")
            """, database: "db")
        #expect(create.error == nil, "\(create.error ?? "")")

        // Stream Loads with retried labels, all along.
        let loads = StreamLoadClient(current: current)
        loads.start()

        var tally = Tally()
        let producer = try KafkaProducer(bootstrapServers: broker.bootstrapServers, topic: "chaos")
        let sendable = UncheckedBox(producer)
        func produce(_ count: Int) async throws {
            let first = tally.produced + 1
            tally.produced += count
            let last = tally.produced
            try await onDedicatedThread {
                for id in first...last {
                    try sendable.value.send(
                        "\(id),\(id % Self.partitions),v\(id)", partition: Int32(id % Self.partitions))
                }
                try sendable.value.flush()
            }
        }

        for round in 0..<rounds {
            try await produce(perRound)
            if round % 5 == 2 {
                // Broker faults: one broker, or all of them, down for a while.
                let all = Bool.random(using: &rng)
                if all {
                    broker.setAllBrokers(up: false)
                } else {
                    broker.setBroker(Int.random(in: 1...3, using: &rng), up: false)
                }
                try await Task.sleep(for: .milliseconds(Int.random(in: 500...1500, using: &rng)))
                broker.setAllBrokers(up: true)
                tally.brokerFaults += 1
            }
            if round % 15 == 3 {
                // Rewind to the beginning: everything is re-read and skipped, nothing loads twice.
                let paused = try await sql.execute("PAUSE ROUTINE LOAD FOR chaos_job", database: "db")
                let offsets = Array(repeating: "OFFSET_BEGINNING", count: Self.partitions).joined(separator: ",")
                let partitions = (0..<Self.partitions).map(String.init).joined(separator: ",")
                let altered = try await sql.execute(
                    "ALTER ROUTINE LOAD FOR chaos_job FROM KAFKA (\"kafka_partitions\" = \"\(partitions)\", \"kafka_offsets\" = \"\(offsets)\")",
                    database: "db")
                let resumed = try await sql.execute("RESUME ROUTINE LOAD FOR chaos_job", database: "db")
                #expect(
                    paused.error == nil && altered.error == nil && resumed.error == nil,
                    "\(paused.error ?? "") \(altered.error ?? "") \(resumed.error ?? "")")
                tally.rewinds += 1
            }
            // A kill: at a random moment, or at a fault point the restarted server is armed with.
            if round % 2 == 0 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...1200, using: &rng)))
                try await Self.kill(server)
                tally.randomKills += 1
                server = try await Self.start(directory, base)
            } else {
                // Fault points in turn, so a run of 2 × points rounds hits each at least once.
                let point = Self.crashPoints[(round / 2) % Self.crashPoints.count]
                let hit = Int.random(in: 1...3, using: &rng)
                try await Self.kill(server)
                var armed = base
                armed["SLUICE_FAULTS"] = "\(point)=crash@\(hit)"
                server = try await Self.start(directory, armed)
                current.set(server.port)
                if point == "stream_load.mid_body" { loads.requestBig() }
                try await produce(perRound / 4)
                let running = server
                if try await !onDedicatedThread({ running.waitForExit(timeout: 6) }) {
                    tally.faultsNotReached += 1
                    try await Self.kill(server)
                } else {
                    tally.faultKills[point, default: 0] += 1
                }
                server = try await Self.start(directory, base)
            }
            current.set(server.port)
            sql = SQLClient(host: "127.0.0.1", port: server.port, user: "root", password: "")
        }

        // Settle: no more faults; every message and every retried label must land exactly once.
        try await onDedicatedThread { loads.stop() }
        var count = 0
        try await Eventually.until(timeout: .seconds(180), poll: .milliseconds(200)) {
            count =
                Int(
                    try await sql.execute("SELECT count(*) FROM k", database: "db").rows.first?.first??.description
                        ?? "") ?? 0
            return count >= tally.produced
        }
        let n = tally.produced
        let totals = try await sql.execute(
            "SELECT count(*), count(DISTINCT id), min(id), max(id), sum(id) FROM k", database: "db")
        #expect(totals.rows == [["\(n)", "\(n)", "1", "\(n)", "\(n * (n + 1) / 2)"]], "seed \(seed)")
        let perPartition = try await sql.execute(
            "SELECT p, count(*), sum(id) FROM k GROUP BY p ORDER BY p", database: "db")
        let expected = (0..<Self.partitions).map { p -> [String?] in
            let ids = stride(from: p == 0 ? Self.partitions : p, through: n, by: Self.partitions)
            return ["\(p)", "\(ids.underestimatedCount)", "\(ids.reduce(0, +))"]
        }
        #expect(perPartition.rows == expected, "seed \(seed)")

        // Progress (the last loaded offset) matches the topic's end offsets.
        let show = try await sql.execute("SHOW ROUTINE LOAD FOR chaos_job", database: "db")
        let progressColumn = try #require(show.columns.firstIndex(of: "Progress"))
        let progress =
            try JSONSerialization.jsonObject(with: Data((show.rows.first?[progressColumn] ?? "{}")!.utf8))
            as? [String: String]
        let endOffsets = (0..<Self.partitions).map { p in (1...n).filter { $0 % Self.partitions == p }.count }
        #expect(
            progress
                == Dictionary(
                    uniqueKeysWithValues: endOffsets.enumerated().map { ("\($0.offset)", "\($0.element - 1)") }))

        // Every acknowledged label is visible once; every label is all-or-nothing.
        let labels = try await sql.execute(
            "SELECT label, count(*), count(DISTINCT id) FROM s GROUP BY label", database: "db")
        var visible = [String: Int]()
        for row in labels.rows {
            visible[row[0] ?? ""] = Int(row[1] ?? "") ?? 0
            #expect(row[1] == row[2], "duplicate ids under label \(row[0] ?? "")")
        }
        let (acknowledged, attempted) = loads.results()
        tally.acknowledgedLabels = acknowledged.count
        tally.attemptedLabels = attempted
        for label in acknowledged { #expect(visible[label] == StreamLoadClient.rows(label), "label \(label)") }
        for (label, rows) in visible { #expect(rows == StreamLoadClient.rows(label), "label \(label) is partial") }

        let final = server
        #expect(try await onDedicatedThread { final.terminate().status } == 0)
        let fsck = try DataDirectoryCheck.run(path: directory)
        #expect(fsck.problems == [], "seed \(seed)")
        let kills = tally.randomKills + tally.faultKills.values.reduce(0, +) + tally.faultsNotReached
        print(
            "chaos: \(kills) kills (\(tally.faultKills.values.reduce(0, +)) at fault points), \(tally.brokerFaults) broker faults, \(tally.rewinds) rewinds, \(n) messages, \(tally.acknowledgedLabels) labels acknowledged"
        )
        if let report = environment["SLUICE_CHAOS_REPORT"] {
            let rows = Int(totals.rows.first?[0] ?? "0") ?? 0
            let distinct = Int(totals.rows.first?[1] ?? "0") ?? 0
            try Self.writeReport(
                report, tally: tally, kills: kills, fsckProblems: fsck.problems.count, seed: seed,
                seconds: Date().timeIntervalSince(started), duplicates: rows - distinct, lost: n - distinct)
        }
    }

    static func writeReport(
        _ path: String, tally: Tally, kills: Int, fsckProblems: Int, seed: UInt64, seconds: Double, duplicates: Int,
        lost: Int
    ) throws {
        var lines = [
            "# Chaos results", "",
            "Written by `scripts/chaos.sh` (ChaosTests with SLUICE_CHAOS_ROUNDS); seed \(seed), \(Int(seconds)) s on 2 cores.",
            "",
            "| measure | value |", "|---|---:|",
            "| SIGKILLs survived | \(kills) |",
            "| … at a random moment | \(tally.randomKills) |",
            "| … at a fault point | \(tally.faultKills.values.reduce(0, +)) |",
            "| … armed fault point not reached in 6 s (then killed at random) | \(tally.faultsNotReached) |",
            "| broker faults (one or all brokers down) | \(tally.brokerFaults) |",
            "| rewinds to OFFSET_BEGINNING | \(tally.rewinds) |",
            "| Kafka messages produced | \(tally.produced) |",
            "| Stream Load labels attempted / acknowledged | \(tally.attemptedLabels) / \(tally.acknowledgedLabels) |",
            "| duplicates | \(max(0, duplicates)) |",
            "| lost | \(max(0, lost)) |",
            "| fsck problems at the end | \(fsckProblems) |",
            "", "Kills per fault point:", "",
        ]
        for (point, count) in tally.faultKills.sorted(by: { $0.key < $1.key }) {
            lines.append("- `\(point)`: \(count)")
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    }
}

/// Sends Stream Loads under labels `sl-<n>` from its own thread; a load whose
/// answer was lost (the server died) is retried with the same label until it gets an answer. A
/// label is acknowledged by `Success` or by `Label Already Exists` with `ExistingJobStatus:
/// FINISHED`.
final class StreamLoadClient: Sendable {
    /// Rows of a label: `sl-<n>` 50, `sb-<n>` 300,000 (a body of ~6 MB: over one 4 MiB hop, so it reaches the
    /// `stream_load.mid_body` fault point). Every 20th load is big, and the next one after
    /// ``requestBig()``.
    static func rows(_ label: String) -> Int { label.hasPrefix("sb-") ? 300_000 : 50 }

    func requestBig() { state.withLock { $0.big = true } }
    private let current: ChaosTests.Current
    private let state = Mutex<(stopped: Bool, acknowledged: [String], attempted: Int, big: Bool)>((false, [], 0, false))
    private let finished = DispatchSemaphore(value: 0)

    init(current: ChaosTests.Current) { self.current = current }

    func start() {
        Thread {
            self.run(); self.finished.signal()
        }.start()
    }

    /// Stops sending and waits for the thread.
    func stop() {
        state.withLock { $0.stopped = true }
        finished.wait()
    }

    private var isStopped: Bool { state.withLock { $0.stopped } }
    func results() -> ([String], Int) { state.withLock { ($0.acknowledged, $0.attempted) } }

    private func run() {
        var n = 0
        while !isStopped {
            n += 1
            let big =
                state.withLock { s in
                    defer { s.big = false }
                    return s.big
                } || n % 20 == 0
            let label = big ? "sb-\(n)" : "sl-\(n)"
            state.withLock { $0.attempted += 1 }
            let body = (0..<Self.rows(label)).map { "\(n * 1_000_000 + $0),\(label)\n" }.joined()
            // Retry until an answer (the server may be down or restarting); give up only when the
            // run is over, leaving the label unacknowledged (all-or-nothing is still checked).
            while true {
                let response = try? Curl.streamLoad(
                    port: current.get(), database: "db", table: "s", body: body,
                    headers: ["label": label, "column_separator": ","], extra: ["--max-time", "10"])
                let status = response?.string("Status")
                if status == "Success"
                    || (status == "Label Already Exists" && response?.string("ExistingJobStatus") == "FINISHED")
                {
                    state.withLock { $0.acknowledged.append(label) }
                    break
                }
                if isStopped { break }
                usleep(150_000)
            }
            usleep(100_000)
        }
    }
}

/// Hands a value the caller knows is used from one thread at a time to a dedicated thread.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
