import ArgumentParser
import Foundation
import Logging
import SluiceKafka
import SluiceServer
import SluiceStorage

/// `sluice`: the StarRocks-compatible loading engine.
@main
struct Sluice: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A StarRocks-compatible data-loading engine.",
        version: SluiceVersion.current,
        subcommands: [Serve.self, SQL.self, Load.self, KafkaMock.self, Produce.self, Fsck.self, Config.self])

    /// Without a subcommand: the help, and a failing exit (a script that forgot `serve` must
    /// not look successful).
    mutating func run() async throws {
        FileHandle.standardError.write(Data((Self.helpMessage() + "\n").utf8))
        throw ExitCode.validationFailure
    }
}

/// Turns a configuration problem into one line on standard error and the usage exit code,
/// naming the subcommand's help (not the top-level usage).
func configurationFailure(_ error: any Error, command: String) -> ExitCode {
    FileHandle.standardError.write(Data("Error: \(error)\nSee 'sluice \(command) --help'.\n".utf8))
    return ExitCode.validationFailure
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server on a data directory.")

    @Option(name: .customLong("data-dir"), help: "Data directory (created if missing).") var dataDirectory: String?
    @Option(name: .customLong("http-port"), help: "HTTP port (default 8030; 0 = any free port).") var httpPort: Int?
    @Option(name: .customLong("query-port"), help: "MySQL protocol port (default 9030; 0 = off).") var queryPort: Int?
    @Option(name: .customLong("host"), help: "Address to bind (default 127.0.0.1).") var host: String?
    @Option(name: .customLong("config"), help: "JSON configuration file (see config/sluice.json).") var config: String?
    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical (config log.level; default info).")
    var logLevel: String?
    @Option(
        name: .customLong("tls-cert-file"), help: "PEM certificate chain: HTTPS and MySQL TLS (server.tls.cert_file).")
    var tlsCertFile: String?
    @Option(name: .customLong("tls-key-file"), help: "PEM private key of the certificate (server.tls.key_file).")
    var tlsKeyFile: String?
    @Option(
        name: .customLong("tls-ca-file"),
        help: "PEM CA certificates; when set, clients must present a certificate it signed (server.tls.ca_file).")
    var tlsCAFile: String?
    @Flag(
        name: .customLong("require-secure-transport"),
        help: "Refuse MySQL logins without TLS (server.require_secure_transport).")
    var requireSecureTransport = false
    @Option(name: .customLong("log-format"), help: "text or json (config log.format; default text).")
    var logFormat: String?
    @Option(
        name: .customLong("sink"),
        help: "Remote-sink mode: write routine_load.jobs into the sink at this URL (sink.url, SLUICE_SINK_URL).")
    var sink: String?

    func run() async throws {
        var overrides = [String: String]()
        if let dataDirectory { overrides["data_dir"] = dataDirectory }
        if let httpPort { overrides["server.http_port"] = String(httpPort) }
        if let queryPort { overrides["server.query_port"] = String(queryPort) }
        if let host { overrides["server.host"] = host }
        if let logLevel { overrides["log.level"] = logLevel }
        if let logFormat { overrides["log.format"] = logFormat }
        if let tlsCertFile { overrides["server.tls.cert_file"] = tlsCertFile }
        if let tlsKeyFile { overrides["server.tls.key_file"] = tlsKeyFile }
        if let tlsCAFile { overrides["server.tls.ca_file"] = tlsCAFile }
        if requireSecureTransport { overrides["server.require_secure_transport"] = "true" }
        if let sink { overrides["sink.url"] = sink }
        let configuration: SluiceConfiguration
        do {
            configuration = try await SluiceConfiguration.load(
                file: config, overrides: overrides, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw configurationFailure(error, command: "serve")
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        let json = configuration.logFormat == "json"
        LoggingSystem.bootstrap { label in
            if json { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        try await SluiceServer.run(configuration, logger: Logger(label: "sluice"))
    }
}

/// `sluice config validate`: loads the configuration as `serve` would and reports the first
/// problem (unknown key with the nearest valid one, bad value), exiting non-zero.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check configuration files.", subcommands: [Validate.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration (file, SLUICE_* environment) the way `serve` loads it.")

        @Option(name: .customLong("config"), help: "JSON configuration file (default config/sluice.json).")
        var config = "config/sluice.json"

        func run() async throws {
            do {
                var environment = ProcessInfo.processInfo.environment
                if environment["SLUICE_DATA_DIR"] == nil { environment["SLUICE_DATA_DIR"] = "data" }
                _ = try await SluiceConfiguration.load(file: config, overrides: [:], environment: environment)
            } catch {
                throw configurationFailure(error, command: "config validate")
            }
            print("configuration OK: \(config)")
        }
    }
}

struct KafkaMock: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka-mock", abstract: "Run librdkafka's embedded mock Kafka cluster (development broker).",
        discussion:
            "Reads control lines on standard input: 'down <id>' / 'up <id>' stop or restart a broker (ids 1...N); "
            + "'hb-error <code> <n>' fails the next n heartbeats of every group with Kafka error <code> (22 = "
            + "ILLEGAL_GENERATION); 'rtt <id> <ms>' slows a broker; 'coordinator <group> <id>' pins a group's coordinator."
    )

    @Option(help: "Number of brokers.") var brokers = 3
    @Option(name: .customLong("topic"), help: "Topic to create, as name:partitions (repeatable).") var topics:
        [String] = []

    func run() async throws {
        let cluster = try MockCluster(brokers: brokers)
        for spec in topics {
            let parts = spec.split(separator: ":")
            guard parts.count <= 2, let name = parts.first, let count = Int(parts.count == 2 ? parts[1] : "1"),
                count > 0
            else {
                throw ValidationError("--topic takes name:partitions, got \(spec)")
            }
            try cluster.createTopic(String(name), partitions: count)
        }
        print("bootstrap servers: \(cluster.bootstrapServers)")
        fflush(nil)
        // Fault injection for tests and demos, one command per line on stdin (see discussion).
        let control = Thread {
            while let line = readLine() {
                let words = line.split(separator: " ").map(String.init)
                switch (words.first, words.count) {
                case ("down", 2):
                    guard let id = Int32(words[1]) else { continue }
                    cluster.setBroker(id, up: false)
                case ("up", 2):
                    guard let id = Int32(words[1]) else { continue }
                    cluster.setBroker(id, up: true)
                case ("hb-error", 3):
                    guard let code = Int32(words[1]), let count = Int(words[2]), count > 0 else { continue }
                    // 12 = Heartbeat.
                    cluster.pushRequestErrors(apiKey: 12, Array(repeating: code, count: count))
                case ("rtt", 3):
                    guard let id = Int32(words[1]), let ms = Int32(words[2]) else { continue }
                    cluster.setRoundTripTime(id, milliseconds: ms)
                case ("coordinator", 3):
                    guard let id = Int32(words[2]) else { continue }
                    cluster.setGroupCoordinator(words[1], broker: id)
                default: continue
                }
                print("ok \(line)")
                fflush(nil)
            }
        }
        control.start()
        await Termination.wait()
        withExtendedLifetime(cluster) {}
    }
}

struct Produce: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Produce each line of a file (or stdin) as one Kafka message.")

    @Option(help: "Bootstrap servers (host:port,...).") var brokers: String
    @Option(help: "Topic.") var topic: String
    @Option(help: "Spread messages round-robin over this many partitions (default: librdkafka decides).")
    var partitions: Int?
    @Argument(help: "File to read; '-' or nothing for standard input.") var file: String?
    @Option(
        name: .customLong("generate-events"), help: "Instead of a file, produce this many generated events rows (CSV).")
    var generatedEvents: Int?
    @Option(name: .customLong("start-id"), help: "First event_id of --generate-events (default 1).") var startID:
        Int64 = 1
    @Option(help: "Messages per second for --generate-events (default: as fast as possible).") var rate: Int?
    @Option(help: "Seconds to wait for the brokers to answer before giving up (default 10).") var timeout = 10
    @Flag(help: "Each line is one message in hex (binary payloads, such as Confluent-framed Avro).")
    var hex = false
    @Option(
        name: .customLong("linger-ms"),
        help: "How long the producer waits to fill a batch (librdkafka linger.ms; default librdkafka's).")
    var lingerMilliseconds: Int?

    func run() async throws {
        let producer = try KafkaProducer(
            bootstrapServers: brokers, topic: topic,
            settings: lingerMilliseconds.map { ["linger.ms": String($0), "batch.num.messages": "100000"] } ?? [:])
        do {
            try producer.checkReachable(timeoutMilliseconds: Int32(clamping: max(1, timeout) * 1000))
        } catch {
            FileHandle.standardError.write(Data("ERROR: \(brokers): \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let generatedEvents {
            try produceGenerated(generatedEvents, producer: producer)
            return
        }
        let handle =
            file == nil || file == "-"
            ? FileHandle.standardInput : try FileHandle(forReadingFrom: URL(fileURLWithPath: file!))
        var count = 0
        var decoded = [UInt8]()
        func emit(_ line: UnsafeRawBufferPointer) throws {
            let partition = partitions.map { Int32(count % $0) }
            if hex {
                guard Self.decodeHex(line, into: &decoded) else {
                    FileHandle.standardError.write(Data("ERROR: line \(count + 1) is not hex\n".utf8))
                    throw ExitCode(2)
                }
                try decoded.withUnsafeBytes { try producer.send($0, partition: partition) }
            } else {
                try producer.send(line, partition: partition)
            }
            count += 1
        }
        // Lines are cut in place; only an unfinished last line is carried to the next chunk.
        var pending = [UInt8]()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            pending.append(contentsOf: chunk)
            let consumed = try pending.withUnsafeBytes { bytes -> Int in
                var start = 0
                while let newline = bytes[start...].firstIndex(of: 10) {
                    try emit(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
                    start = newline + 1
                }
                return start
            }
            pending.removeFirst(consumed)
        }
        if !pending.isEmpty { try pending.withUnsafeBytes { try emit($0) } }
        try producer.flush()
        print("produced \(count) messages to \(topic)")
    }

    /// Decodes a line of hex digits (a trailing `\r` ignored) into `out`; false if it is not hex.
    static func decodeHex(_ line: UnsafeRawBufferPointer, into out: inout [UInt8]) -> Bool {
        var count = line.count
        if count > 0, line[count - 1] == 13 { count -= 1 }
        guard count % 2 == 0 else { return false }
        @inline(__always) func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        out.removeAll(keepingCapacity: true)
        var i = 0
        while i < count {
            guard let high = value(line[i]), let low = value(line[i + 1]) else { return false }
            out.append(high << 4 | low)
            i += 2
        }
        return true
    }

    /// Generated events, optionally paced at `rate` messages per second.
    private func produceGenerated(_ count: Int, producer: KafkaProducer) throws {
        let clock = ContinuousClock()
        let start = clock.now
        var line = [UInt8]()
        for i in 0..<count {
            line.removeAll(keepingCapacity: true)
            EventGenerator.appendLine(startID + Int64(i), to: &line)
            let partition = partitions.map { Int32(i % $0) }
            try line.withUnsafeBytes { try producer.send($0, partition: partition) }
            if let rate, rate > 0, i % max(1, rate / 20) == 0 {
                let due = start + .milliseconds(Int64(i) * 1000 / Int64(rate))
                let wait = due - clock.now
                if wait > .zero {
                    Thread.sleep(
                        forTimeInterval: Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
                }
            }
        }
        try producer.flush()
        print("produced \(count) generated events to \(topic)")
    }
}

struct Fsck: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify a stopped data directory: journal, every referenced file and its checksum, no orphan files.")

    @Option(name: .customLong("data-dir"), help: "The data directory (its server must be stopped).") var dataDirectory:
        String

    func run() throws {
        let report = try DataDirectoryCheck.run(path: dataDirectory)
        print(
            "journal records: \(report.journalRecords), tables: \(report.tables), routine load jobs: \(report.routineLoadJobs)"
        )
        print("segments checked: \(report.segmentsChecked) (\(report.bytesChecked) bytes)")
        for note in report.notes { print("note: \(note)") }
        for problem in report.problems { print("problem: \(problem)") }
        print("\(report.problems.count) problems")
        if !report.isClean { throw ExitCode(1) }
    }
}
