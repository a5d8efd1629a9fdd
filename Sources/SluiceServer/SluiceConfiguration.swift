import Configuration
import Foundation
package import SluiceSink
import SystemPackage

/// Process settings. Sources, highest priority first: command-line flags, environment variables
/// (`SLUICE_` + the key upper-cased with `_` for `.`, e.g. `SLUICE_SERVER_HTTP_PORT`), the JSON file
/// given with `--config`, then the built-in defaults below. `config/sluice.json` documents every key.
package struct SluiceConfiguration: Sendable {
    /// `data_dir`: the data directory (required).
    package var dataDirectory: String
    /// `server.host`: address to bind. Default `127.0.0.1` (loopback only).
    package var host = "127.0.0.1"
    /// `server.http_port`: HTTP port (StarRocks FE's 8030). Default 8030; 0 picks a free port.
    package var httpPort = 8030
    /// `server.query_port`: MySQL protocol port (StarRocks FE's 9030). Default 9030; 0 turns the
    /// MySQL protocol off.
    package var queryPort = 9030
    /// `server.mysql_server_version`: the version in the MySQL greeting and `@@version`.
    /// Default `8.0.33` (StarRocks 3.4+); keep it a plain `X.Y.Z`.
    package var mysqlServerVersion = "8.0.33"
    /// `server.qe_max_connection`: logged-in MySQL connections at once; one more is refused with
    /// `Reach limit of connections`. Default 4096.
    package var maxConnections = 4096
    /// `server.max_allowed_packet`: largest MySQL command accepted, in bytes (larger: ERR 1153 and
    /// the connection closes). Default 67108864.
    package var maxAllowedPacket = 64 << 20
    /// `auth.root_password` (or `SLUICE_ROOT_PASSWORD`): root's password, set at start-up while
    /// root has none (the first start); afterwards SET PASSWORD changes it. Default: none (root
    /// with an empty password, as StarRocks).
    package var rootPassword: String?
    /// `auth.open_endpoints`: operator endpoints answered without a login. Default `/livez`,
    /// `/readyz`, `/metrics`; the status page (`/`, `/api/status`) may be added.
    package var openEndpoints = ["/livez", "/readyz", "/metrics"]
    /// `load.label_keep_max_second`: how long committed labels are remembered. Default 259200 s.
    package var labelKeepSeconds = 259_200
    /// `load.label_clean_interval_second`: how often expired labels are forgotten. Default 60 s.
    package var labelCleanIntervalSeconds = 60
    /// `load.error_log_reserve_hours`: error logs (ErrorURL) are kept this long. Default 48 h.
    package var errorLogReserveHours = 48
    /// `load.streaming_load_max_mb`: largest Stream Load body, in MiB. Default 102400.
    package var streamingLoadMaxMegabytes = 102_400
    /// `load.memory_limit_bytes`: bytes one load buffers before flushing segments. Default 50331648.
    package var loadMemoryLimitBytes = 48 << 20
    /// `load.background_nice`: how much lower load work (parsing, converting, flushing) runs than
    /// request handling, as a nice increment 0–19. Default 10 (`/livez` stays fast while loads
    /// fill every core); 0 turns it off, e.g. where other busy processes share the machine.
    package var loadBackgroundNice = 10
    /// `storage.compaction_threshold`: rowsets per tablet that trigger background compaction. Default 8.
    package var compactionThreshold = 8
    /// `storage.max_rowsets_per_tablet`: a commit into a tablet this full compacts it first. Default 64.
    package var maxRowsetsPerTablet = 64
    /// `storage.compaction_interval_ms`: pause between background compaction passes. Default 1000 ms.
    package var compactionIntervalMilliseconds = 1000
    /// `storage.checkpoint_interval`: journal records between checkpoints. Default 10000.
    package var checkpointInterval = 10_000
    /// `storage.group_commit`: concurrent commits share one journal fsync. Default true; false
    /// only to measure what it saves (scripts/bench-commit.sh).
    package var groupCommit = true
    /// `log.level`: trace, debug, info, notice, warning, error, critical. Default info.
    package var logLevel = "info"
    /// `log.format`: `text` (one line per event) or `json` (one JSON object per line). Default text.
    package var logFormat = "text"
    /// `routine_load.jobs`: CREATE ROUTINE LOAD statements (database-qualified) whose jobs are
    /// created at start-up unless a job of that name is already active.
    package var routineLoadJobs: [String] = []
    /// `routine_load.max_concurrent_tasks`: cap on a job's tasks. Default 5.
    package var routineLoadMaxTasks = 5
    /// `routine_load.source_grace_seconds`: how long a job's Kafka brokers may stay silent before
    /// the job reports its source unreachable (it keeps retrying). Default 30.
    package var routineLoadSourceGraceSeconds = 30
    /// `routine_load.test_batch_interval_ms`: replaces every job's max_batch_interval (tests and
    /// demos only; StarRocks' minimum is 5 s). 0 = off.
    package var routineLoadTestBatchIntervalMilliseconds = 0
    /// `sink`: where this daemon's `routine_load.jobs` write (remote-sink mode, docs/scale-out.md);
    /// nil runs them against the local tables. `sink.url` (flag `--sink`, env `SLUICE_SINK_URL`),
    /// `sink.user`, `sink.password` (never printed), `sink.api` (`sluice` or `standard`),
    /// `sink.cluster_hosts`.
    package var sink: SinkSettings?
    /// `sink.daemon_name`: how this daemon signs its batches (default `<hostname>:<http port>`).
    package var daemonName: String?
    /// `sink.max_batch_age_seconds`: a batch older than this is never committed. Default 120.
    package var maxBatchAgeSeconds = 120
    /// `sink.revoke_commit_deadline_ms`: how long a revoke may spend committing. Default 5000.
    package var revokeCommitDeadlineMilliseconds = 5000
    /// `sink.transaction_timeout_seconds` / `sink.prepared_timeout_seconds`: `timeout` of each
    /// batch's `begin` and `prepared_timeout` of its `prepare` — short, so a crashed daemon's
    /// leftovers expire soon even if no daemon adopts them. Defaults 120 and 300.
    package var transactionTimeoutSeconds = 120
    package var preparedTimeoutSeconds = 300
    /// `sink.interval_per_member_ms`: the commit budget — the batch interval grows to
    /// members × this. Default 1000.
    package var intervalPerMemberMilliseconds = 1000
    /// `sink.session_timeout_ms`: the consumer group's session timeout. Default 10000.
    package var groupSessionTimeoutMilliseconds = 10_000
    /// `server.advertised_address`: `host:port` in URLs when a request has no Host header.
    package var advertisedAddress: String?
    /// `server.idle_timeout_seconds`: a connection that sends nothing (no request, or a request
    /// head that never completes) for this long is closed. Default 60.
    package var idleTimeoutSeconds = 60
    /// `server.shutdown_grace_seconds`: on SIGTERM, requests still running after this long
    /// (a stalled upload) are cancelled and their loads aborted. Default 10.
    package var shutdownGraceSeconds = 10
    /// `server.max_http_connections`: open HTTP connections at once (one more is closed at
    /// accept). Default 4096.
    package var maxHTTPConnections = 4096
    /// `server.header_timeout_seconds`: from a request's first byte to its complete head. Default 30.
    package var headerTimeoutSeconds = 30
    /// `server.body_timeout_seconds`: longest silence while a request body arrives. Default 60.
    package var bodyTimeoutSeconds = 60
    /// `server.max_header_bytes`: a request head's header fields, in bytes (larger: 431).
    /// Default 65536.
    package var maxHeaderBytes = 65_536
    /// `server.max_header_count`: header fields in a request head (more: 431). Default 100.
    package var maxHeaderCount = 100
    /// `server.max_user_connections`: logged-in MySQL connections of one user (StarRocks'
    /// `max_user_connections`). Default 100.
    package var maxUserConnections = 100
    /// `sql.max_statement_bytes`: longest SQL text accepted (HTTP and MySQL). Default 64 MiB, as
    /// `server.max_allowed_packet` (spec scenario 46 sends a 17 MiB string literal).
    package var maxStatementBytes = 64 << 20
    /// `sql.max_expression_depth`: deepest expression nesting a statement (or a load's `columns`
    /// and `where`) may have. Default 3000 (StarRocks' `expr_depth_limit`).
    package var maxExpressionDepth = 3_000
    /// `load.total_memory_limit_bytes`: what all running loads may buffer together; each takes
    /// its `load.memory_limit_bytes` while it lasts, then what is left (at least 4 MiB). Default
    /// 2 GiB.
    package var loadTotalMemoryLimitBytes = 2 << 30
    /// `load.max_broker_load_job_concurrency`: Broker Load jobs loading at once; later ones wait
    /// in QUEUEING (StarRocks' `max_broker_load_job_concurrency`, default 5).
    package var brokerLoadMaxConcurrentJobs = 5
    /// `load.max_concurrent_loads`: Stream Loads and transaction loads receiving data at once;
    /// one more is answered 503 "too busy". Default 64.
    package var maxConcurrentLoads = 64
    /// `server.tls.cert_file` / `key_file`: PEM certificate chain and key; when set, the HTTP port
    /// speaks HTTPS only and the MySQL port offers TLS.
    package var tlsCertFile: String?
    package var tlsKeyFile: String?
    /// `server.tls.ca_file`: PEM CA certificates; when set, clients must present a certificate
    /// one of them signed.
    package var tlsCAFile: String?
    /// `server.require_secure_transport`: MySQL logins without TLS are refused (HTTP is HTTPS-only
    /// whenever a certificate is set).
    package var requireSecureTransport = false
    /// `load.source_commit_api`: whether remote-sink daemons may use Sluice's fenced source
    /// commits (`source_batch`, `_source_progress`); false answers as a StarRocks cluster would.
    package var sourceCommitAPI = true

    package init(dataDirectory: String) { self.dataDirectory = dataDirectory }

    /// Reads the configuration.
    /// - Parameters:
    ///   - file: JSON file from `--config`; nil = built-in defaults only (no implicit `./config`).
    ///   - overrides: values from command-line flags, by key.
    ///   - environment: the process environment (injected for tests).
    package static func load(
        file: String?, overrides: [String: String], environment: [String: String]
    ) async throws -> SluiceConfiguration {
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                values: Dictionary(
                    uniqueKeysWithValues: overrides.map {
                        (
                            AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)),
                            ConfigValue(.string($0.value), isSecret: false)
                        )
                    })),
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: ConfigKey("sluice")),
        ]
        if let file {
            try ConfigurationSchema.check(file: file)
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(file)))
        }
        let reader = ConfigReader(providers: providers)
        guard let dataDirectory = reader.string(forKey: "data_dir") else {
            throw ConfigurationError(
                "data_dir is required (--data-dir, SLUICE_DATA_DIR or \"data_dir\" in the config file)")
        }
        var c = SluiceConfiguration(dataDirectory: dataDirectory)
        c.host = reader.string(forKey: "server.host", default: c.host)
        c.httpPort = try integer(reader, "server.http_port", c.httpPort, 0...65535)
        c.queryPort = try integer(reader, "server.query_port", c.queryPort, 0...65535)
        c.mysqlServerVersion = reader.string(forKey: "server.mysql_server_version", default: c.mysqlServerVersion)
        guard c.mysqlServerVersion.range(of: #"^\d{1,2}\.\d{1,2}\.\d{1,3}$"#, options: .regularExpression) != nil else {
            throw ConfigurationError(
                "server.mysql_server_version must be X.Y.Z (e.g. 8.0.33), got '\(c.mysqlServerVersion)'")
        }
        c.maxConnections = try integer(reader, "server.qe_max_connection", c.maxConnections, 1...1_000_000)
        c.maxAllowedPacket = try integer(
            reader, "server.max_allowed_packet", c.maxAllowedPacket, 1024...(1 << 30))
        c.rootPassword = environment["SLUICE_ROOT_PASSWORD"] ?? reader.string(forKey: "auth.root_password")
        if let open = reader.stringArray(forKey: "auth.open_endpoints") {
            let known = ["/livez", "/readyz", "/metrics", "/", "/api/status"]
            for path in open where !known.contains(path) {
                throw ConfigurationError(
                    "auth.open_endpoints: '\(path)' is not an operator endpoint; choose from \(known.joined(separator: ", "))"
                )
            }
            c.openEndpoints = open
        }
        c.labelKeepSeconds = try integer(reader, "load.label_keep_max_second", c.labelKeepSeconds, 1...Int(Int32.max))
        c.labelCleanIntervalSeconds = try integer(
            reader, "load.label_clean_interval_second", c.labelCleanIntervalSeconds, 1...86_400)
        c.errorLogReserveHours = try integer(reader, "load.error_log_reserve_hours", c.errorLogReserveHours, 1...87_600)
        c.streamingLoadMaxMegabytes = try integer(
            reader, "load.streaming_load_max_mb", c.streamingLoadMaxMegabytes, 1...Int(Int32.max))
        c.loadMemoryLimitBytes = try integer(
            reader, "load.memory_limit_bytes", c.loadMemoryLimitBytes, 1 << 20...Int.max)
        c.loadBackgroundNice = try integer(reader, "load.background_nice", c.loadBackgroundNice, 0...19)
        c.compactionThreshold = try integer(reader, "storage.compaction_threshold", c.compactionThreshold, 2...10_000)
        c.maxRowsetsPerTablet = try integer(
            reader, "storage.max_rowsets_per_tablet", c.maxRowsetsPerTablet, 2...100_000)
        c.compactionIntervalMilliseconds = try integer(
            reader, "storage.compaction_interval_ms", c.compactionIntervalMilliseconds, 10...3_600_000)
        c.checkpointInterval = try integer(reader, "storage.checkpoint_interval", c.checkpointInterval, 1...10_000_000)
        c.groupCommit = try boolean(reader, "storage.group_commit", c.groupCommit)
        c.logLevel = try choice(reader, "log.level", c.logLevel, ConfigurationSchema.logLevels)
        c.logFormat = try choice(reader, "log.format", c.logFormat, ConfigurationSchema.logFormats)
        c.routineLoadJobs = reader.stringArray(forKey: "routine_load.jobs") ?? []
        c.routineLoadMaxTasks = try integer(reader, "routine_load.max_concurrent_tasks", c.routineLoadMaxTasks, 1...64)
        c.routineLoadSourceGraceSeconds = try integer(
            reader, "routine_load.source_grace_seconds", c.routineLoadSourceGraceSeconds, 1...86_400)
        c.advertisedAddress = reader.string(forKey: "server.advertised_address")
        c.idleTimeoutSeconds = try integer(reader, "server.idle_timeout_seconds", c.idleTimeoutSeconds, 1...86_400)
        c.shutdownGraceSeconds = try integer(reader, "server.shutdown_grace_seconds", c.shutdownGraceSeconds, 0...3_600)
        c.maxHTTPConnections = try integer(reader, "server.max_http_connections", c.maxHTTPConnections, 1...1_000_000)
        c.headerTimeoutSeconds = try integer(reader, "server.header_timeout_seconds", c.headerTimeoutSeconds, 1...3_600)
        c.bodyTimeoutSeconds = try integer(reader, "server.body_timeout_seconds", c.bodyTimeoutSeconds, 1...86_400)
        c.maxHeaderBytes = try integer(reader, "server.max_header_bytes", c.maxHeaderBytes, 1024...(1 << 20))
        c.maxHeaderCount = try integer(reader, "server.max_header_count", c.maxHeaderCount, 8...10_000)
        c.maxUserConnections = try integer(reader, "server.max_user_connections", c.maxUserConnections, 1...1_000_000)
        c.maxStatementBytes = try integer(reader, "sql.max_statement_bytes", c.maxStatementBytes, 1024...(1 << 30))
        c.maxExpressionDepth = try integer(reader, "sql.max_expression_depth", c.maxExpressionDepth, 8...10_000)
        c.loadTotalMemoryLimitBytes = try integer(
            reader, "load.total_memory_limit_bytes", c.loadTotalMemoryLimitBytes, (16 << 20)...(1 << 50))
        c.brokerLoadMaxConcurrentJobs = try integer(
            reader, "load.max_broker_load_job_concurrency", c.brokerLoadMaxConcurrentJobs, 1...1024)
        c.maxConcurrentLoads = try integer(reader, "load.max_concurrent_loads", c.maxConcurrentLoads, 1...100_000)
        c.tlsCertFile = reader.string(forKey: "server.tls.cert_file").flatMap { $0.isEmpty ? nil : $0 }
        c.tlsKeyFile = reader.string(forKey: "server.tls.key_file").flatMap { $0.isEmpty ? nil : $0 }
        c.tlsCAFile = reader.string(forKey: "server.tls.ca_file").flatMap { $0.isEmpty ? nil : $0 }
        c.requireSecureTransport = try boolean(reader, "server.require_secure_transport", c.requireSecureTransport)
        c.sourceCommitAPI = try boolean(reader, "load.source_commit_api", c.sourceCommitAPI)
        if (c.tlsCertFile == nil) != (c.tlsKeyFile == nil) {
            throw ConfigurationError("server.tls.cert_file and server.tls.key_file go together: set both or neither")
        }
        if c.tlsCertFile == nil, c.tlsCAFile != nil || c.requireSecureTransport {
            throw ConfigurationError(
                "\(c.tlsCAFile != nil ? "server.tls.ca_file" : "server.require_secure_transport") needs TLS: "
                    + "set server.tls.cert_file and server.tls.key_file (--tls-cert-file, --tls-key-file)")
        }
        c.routineLoadTestBatchIntervalMilliseconds = try integer(
            reader, "routine_load.test_batch_interval_ms", c.routineLoadTestBatchIntervalMilliseconds, 0...3_600_000)
        if let url = reader.string(forKey: "sink.url"), !url.isEmpty {
            do {
                c.sink = try SinkSettings(
                    url: url, user: reader.string(forKey: "sink.user", default: "root"),
                    password: reader.string(forKey: "sink.password", isSecret: true, default: ""),
                    api: reader.string(forKey: "sink.api", default: "sluice"),
                    clusterHosts: reader.stringArray(forKey: "sink.cluster_hosts") ?? [])
            } catch {
                throw ConfigurationError(error.message)
            }
        }
        c.daemonName = reader.string(forKey: "sink.daemon_name").flatMap { $0.isEmpty ? nil : $0 }
        c.maxBatchAgeSeconds = try integer(reader, "sink.max_batch_age_seconds", c.maxBatchAgeSeconds, 5...86_400)
        c.revokeCommitDeadlineMilliseconds = try integer(
            reader, "sink.revoke_commit_deadline_ms", c.revokeCommitDeadlineMilliseconds, 100...600_000)
        c.transactionTimeoutSeconds = try integer(
            reader, "sink.transaction_timeout_seconds", c.transactionTimeoutSeconds, 1...86_400)
        c.preparedTimeoutSeconds = try integer(
            reader, "sink.prepared_timeout_seconds", c.preparedTimeoutSeconds, 1...86_400)
        c.intervalPerMemberMilliseconds = try integer(
            reader, "sink.interval_per_member_ms", c.intervalPerMemberMilliseconds, 0...600_000)
        c.groupSessionTimeoutMilliseconds = try integer(
            reader, "sink.session_timeout_ms", c.groupSessionTimeoutMilliseconds, 1000...3_600_000)
        return c
    }

    /// Booleans may arrive as JSON booleans or as `true`/`false` strings (flags, environment).
    private static func boolean(_ reader: ConfigReader, _ key: String, _ fallback: Bool) throws -> Bool {
        let configKey = ConfigKey(key.split(separator: ".").map(String.init))
        guard let text = reader.string(forKey: configKey) else {
            return reader.bool(forKey: configKey, default: fallback)
        }
        switch text.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw ConfigurationError("\(key) must be true or false, got '\(text)'")
        }
    }

    /// One of `choices` (case-insensitive).
    private static func choice(_ reader: ConfigReader, _ key: String, _ fallback: String, _ choices: [String]) throws
        -> String
    {
        let value = reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init)), default: fallback)
        guard choices.contains(value.lowercased()) else {
            throw ConfigurationError(
                "\(key) must be one of \(choices.joined(separator: ", ")), got '\(value)'")
        }
        return value.lowercased()
    }

    /// Integers may arrive as JSON numbers or as strings (flags, environment).
    private static func integer(_ reader: ConfigReader, _ key: String, _ fallback: Int, _ range: ClosedRange<Int>)
        throws -> Int
    {
        let value: Int
        if let text = reader.string(forKey: ConfigKey(key.split(separator: ".").map(String.init))) {
            guard let parsed = Int(text) else { throw ConfigurationError("\(key) must be an integer, got '\(text)'") }
            value = parsed
        } else {
            value = reader.int(forKey: ConfigKey(key.split(separator: ".").map(String.init)), default: fallback)
        }
        guard range.contains(value) else { throw ConfigurationError("\(key) must be within \(range), got \(value)") }
        return value
    }
}

/// A configuration value that is missing or invalid.
package struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    package var description: String
    package init(_ description: String) { self.description = description }
}
