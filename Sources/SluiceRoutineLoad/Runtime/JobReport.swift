import Foundation
import SluiceFormat
import SluiceLoad
import SluiceStorage
import Synchronization

/// SHOW ROUTINE LOAD and SHOW ROUTINE LOAD TASK rows (spec §3.9, §3.10).
extension RoutineLoadManager {
    /// SHOW ROUTINE LOAD's columns, in StarRocks' order.
    package static let showColumns = [
        "Id", "Name", "CreateTime", "PauseTime", "EndTime", "DbName", "TableName", "State", "DataSourceType",
        "CurrentTaskNum", "JobProperties", "DataSourceProperties", "CustomProperties", "Statistic", "Progress",
        "TimestampProgress", "ReasonOfStateChanged", "ErrorLogUrls", "TrackingSQL", "OtherMsg", "LatestSourcePosition",
        "Lag",
    ]

    /// SHOW ROUTINE LOAD TASK's columns, plus `BatchCloseReason`.
    package static let taskColumns = [
        "TaskId", "TxnId", "TxnStatus", "JobId", "CreateTime", "LastScheduledTime", "ExecuteStartTime", "Timeout",
        "BeId",
        "DataSourceProperties", "Message", "BatchCloseReason",
    ]

    /// Rows of SHOW [ALL] ROUTINE LOAD [FOR job | FROM db].
    /// - Parameter errorLogBase: `http://host:port` clients reach, for ErrorLogUrls.
    package func show(database: String?, name: String?, includeHistory: Bool, errorLogBase: String)
        throws(RoutineLoadError) -> [[String?]]
    {
        let selected = allJobs.filter { runtime in
            let d = runtime.definition
            if let database, d.database != database { return false }
            if let name, d.name != name { return false }
            return includeHistory || !d.state.isFinal
        }
        let remote = remoteJobs.filter { job in
            (database == nil || job.definition.database == database) && (name == nil || job.definition.name == name)
        }
        if selected.isEmpty, remote.isEmpty, let name {
            throw RoutineLoadError(
                .notFound,
                "There is no running job named \(name) in db \(database ?? ""). Include history? \(includeHistory), you can try `show all routine load job for job_name` if you want to list stopped and cancelled jobs"
            )
        }
        return selected.map { row($0, errorLogBase: errorLogBase) } + remote.map(remoteRow)
    }

    /// Rows of SHOW ROUTINE LOAD TASK WHERE JobName = name.
    package func showTasks(database: String?, name: String) throws(RoutineLoadError) -> [[String?]] {
        let matching = allJobs.filter {
            $0.definition.name == name && (database == nil || $0.definition.database == database)
        }
        guard let runtime = matching.last(where: { !$0.definition.state.isFinal }) ?? matching.last else {
            throw RoutineLoadError(.notFound, "There is no running job named \(name) in db \(database ?? "")")
        }
        let (tasks, running) = runtime.state.withLock { ($0.tasks, $0.definition.state.isRunnable) }
        guard running else { return [] }
        return tasks.sorted { $0.key < $1.key }.map { _, t in
            [
                t.taskID, "\(t.transactionID)", t.transactionStatus, "\(runtime.id)", Self.formatTime(t.createTime),
                Self.formatTime(t.lastScheduledTime), t.executeStartTime.map(Self.formatTime), "\(t.timeoutSeconds)",
                "\(options.backendID)",
                JSONObject.numbers(t.positions.sorted { $0.key < $1.key }.map { ("\($0.key)", $0.value) }),
                t.message.isEmpty ? nil : t.message, t.closeReason?.rawValue,
            ]
        }
    }

    private func row(_ runtime: JobRuntime, errorLogBase: String) -> [String?] {
        let (d, taskCount, aborted, latest, otherMessage) = runtime.state.withLock {
            (
                $0.definition, $0.definition.state.isRunnable ? $0.tasks.count : 0, $0.abortedTasks, $0.latest,
                $0.otherMessage
            )
        }
        let outage = sourceOutage(runtime)
        let progress = engine.sourceJob(id: runtime.id)
        let p = d.properties
        let jobProperties = Self.jobProperties(d, taskCount: taskCount)
        let partitions = (p.partitions ?? progress.map { Array($0.position.keys) } ?? []).sorted()
        var sourceProperties: [(String, String)] = [
            ("topic", p.topic), ("currentKafkaPartitions", partitions.map(String.init).joined(separator: ",")),
            ("brokerList", p.brokerList),
        ]
        if let url = p.schemaRegistryURL {
            sourceProperties.append(("confluent.schema.registry.url", SchemaRegistryAddress.displayed(url)))
        }
        var custom = p.clientProperties.sorted { $0.key < $1.key }.map { key, value in
            (key, SecretSettings.shown(key, value))
        }
        custom.append(("group.id", d.groupID))
        custom.append(("kafka_default_offsets", Self.offsetName(p.defaultOffset)))
        let c = progress?.counters ?? SourceCounters()
        let executeMs = max(1, c.taskExecuteMilliseconds)
        let statistic: [(String, Int64)] = [
            ("receivedBytes", c.receivedBytes), ("errorRows", c.errorRows), ("committedTaskNum", c.committedTasks),
            ("loadedRows", c.loadedRows), ("loadRowsRate", c.loadedRows * 1000 / executeMs),
            ("abortedTaskNum", aborted),
            ("totalRows", c.totalRows), ("unselectedRows", c.unselectedRows),
            ("receivedBytesRate", c.receivedBytes * 1000 / executeMs), ("taskExecuteTimeMs", executeMs),
            ("skippedRows", c.skippedRows),
        ]
        var positions = [(String, String)]()
        for partition in partitions {
            let display: String
            if let pending = d.pendingOffsets[partition] {
                display = Self.offsetName(pending, asProgress: true)
            } else if let next = progress?.position[partition] {
                display = next == 0 ? "OFFSET_ZERO" : "\(next - 1)"
            } else {
                display = Self.offsetName(p.defaultOffset, asProgress: true)
            }
            positions.append(("\(partition)", display))
        }
        let timestamps = (progress?.timestamps ?? [:]).sorted { $0.key < $1.key }.map { ("\($0.key)", "\($0.value)") }
        let latestPositions = latest.sorted { $0.key < $1.key }.map { ("\($0.key)", "\($0.value)") }
        // Messages not yet loaded per partition: end offset − next offset to read.
        let lag = latest.sorted { $0.key < $1.key }.compactMap { partition, end -> (String, Int64)? in
            guard let next = progress?.position[partition] else { return nil }
            return ("\(partition)", max(0, end - next))
        }
        let urls = d.errorLogNames.map { "\(errorLogBase)/api/_load_error_log?file=\($0)" }.joined(separator: ", ")
        var other = otherMessage
        if !d.skippedGaps.isEmpty { other = ([other].filter { !$0.isEmpty } + d.skippedGaps).joined(separator: "; ") }
        if let outage { other = "\(Self.formatTime(options.now())): \(outage.message)" }
        return [
            "\(d.id)", d.name, Self.formatTime(d.createTime), d.pauseTime.map(Self.formatTime),
            d.endTime.map(Self.formatTime),
            d.database, d.table, d.state.rawValue, "KAFKA", "\(taskCount)", JSONObject.strings(jobProperties),
            JSONObject.strings(sourceProperties), JSONObject.strings(custom), JSONObject.numbers(statistic),
            JSONObject.strings(positions), JSONObject.strings(timestamps),
            d.state == .paused || d.state == .cancelled || d.state == .stopped
                ? d.reason?.description ?? ""
                : outage.map { ErrorReason(ErrorReason.slowRunning, $0.message).description } ?? "",
            urls,
            c.errorRows > 0
                ? "select tracking_log from information_schema.load_tracking_logs where job_id=\(d.id)" : "",
            other, JSONObject.strings(latestPositions), JSONObject.numbers(lag),
        ]
    }

    /// SHOW ROUTINE LOAD's `JobProperties` of a job.
    static func jobProperties(_ d: JobDefinition, taskCount: Int) -> [(String, String)] {
        let p = d.properties
        return [
            ("partitions", d.clauses.partitions?.joined(separator: ",") ?? "*"),
            ("columnToColumnExpr", d.clauses.columns ?? "*"),
            ("whereExpr", d.clauses.filter ?? "*"),
            ("columnSeparator", "'\(d.clauses.columnSeparator ?? "\\t")'"),
            ("rowDelimiter", "'\(d.clauses.rowDelimiter ?? "\\n")'"),
            ("maxErrorNum", "\(p.maxErrorNumber)"),
            ("maxFilterRatio", "\(p.maxFilterRatio)"),
            ("maxBatchIntervalS", "\(p.maxBatchInterval)"),
            ("maxBatchRows", "\(p.maxBatchRows)"),
            ("currentTaskConcurrentNum", "\(taskCount)"),
            ("desireTaskConcurrentNum", "\(p.desiredConcurrentNumber)"),
            ("format", p.format),
            ("jsonpaths", p.jsonPaths ?? ""),
            ("json_root", p.jsonRoot ?? ""),
            ("strip_outer_array", "\(p.stripOuterArray)"),
            ("strict_mode", "\(p.strictMode)"),
            ("timezone", p.timezone),
            ("partial_update", "false"),
            ("partial_update_mode", "row"),
            ("log_rejected_record_num", "\(p.logRejectedRecordNum)"),
            ("taskConsumeSecond", "\(p.taskConsumeSecond)"),
            ("taskTimeoutSecond", "\(p.taskTimeoutSecond)"),
            ("offset_out_of_range_policy", p.skipOutOfRangeOffsets ? "skip" : "pause"),
            ("reload_committed_offsets", "\(p.reloadCommittedOffsets)"),
        ]
    }

    static func offsetName(_ offset: KafkaStartOffset, asProgress: Bool = false) -> String {
        switch offset {
        case .beginning: "OFFSET_BEGINNING"
        case .end: "OFFSET_END"
        case .offset(let n): asProgress ? (n == 0 ? "OFFSET_ZERO" : "\(n - 1)") : "\(n)"
        }
    }
}

extension RoutineLoadManager {
    /// A running job whose brokers have been silent past the grace period: the silent
    /// partitions and what to tell the operator (nil while the source answers).
    func sourceOutage(_ runtime: JobRuntime) -> (partitions: [Int32], message: String)? {
        let now = options.nowMilliseconds()
        let grace = options.sourceGraceMilliseconds
        let (definition, health, partitions) = runtime.state.withLock {
            ($0.definition, $0.source, $0.tasks.values.flatMap { $0.positions.keys }.sorted())
        }
        guard definition.state == .running else { return nil }
        let silent = health.silent(partitions, now: now, grace: grace)
        guard !silent.isEmpty else { return nil }
        let since = silent.map(health.contact).min() ?? health.since
        var message =
            "Kafka source unreachable: brokers \(definition.properties.brokerList) have not answered for partitions "
            + "[\(silent.map(String.init).joined(separator: ", "))] of topic \(definition.properties.topic) for "
            + "\((now - since) / 1000) s"
        if let error = health.lastError { message += " (last error: \(error.message))" }
        return (silent, message + "; the job keeps retrying")
    }
}

extension RoutineLoadManager {
    /// SHOW CREATE ROUTINE LOAD: the job re-rendered with every property explicit.
    package func createStatement(database: String, name: String) throws(RoutineLoadError) -> String {
        guard let runtime = jobsNamed(name, database: database).last else {
            throw RoutineLoadError(.notFound, "Routine load job [\(name)] does not exist in db [\(database)]")
        }
        let d = runtime.definition
        let p = d.properties
        var clauses = [String]()
        if let v = d.clauses.columnSeparator { clauses.append("COLUMNS TERMINATED BY '\(v)'") }
        if let v = d.clauses.rowDelimiter { clauses.append("ROWS TERMINATED BY '\(v)'") }
        if let v = d.clauses.columns { clauses.append("COLUMNS(\(v))") }
        if let v = d.clauses.filter { clauses.append("WHERE \(v)") }
        if let v = d.clauses.partitions { clauses.append("PARTITION(\(v.joined(separator: ", ")))") }
        let properties: [(String, String)] = [
            ("desired_concurrent_number", "\(p.desiredConcurrentNumber)"), ("max_error_number", "\(p.maxErrorNumber)"),
            ("max_filter_ratio", "\(p.maxFilterRatio)"), ("max_batch_interval", "\(p.maxBatchInterval)"),
            ("max_batch_rows", "\(p.maxBatchRows)"), ("task_consume_second", "\(p.taskConsumeSecond)"),
            ("task_timeout_second", "\(p.taskTimeoutSecond)"), ("format", p.format), ("jsonpaths", p.jsonPaths ?? ""),
            ("strip_outer_array", "\(p.stripOuterArray)"), ("json_root", p.jsonRoot ?? ""),
            ("strict_mode", "\(p.strictMode)"),
            ("timezone", p.timezone), ("log_rejected_record_num", "\(p.logRejectedRecordNum)"),
            ("offset_out_of_range_policy", p.skipOutOfRangeOffsets ? "skip" : "pause"),
            ("reload_committed_offsets", "\(p.reloadCommittedOffsets)"),
        ]
        var source: [(String, String)] = [("kafka_broker_list", p.brokerList), ("kafka_topic", p.topic)]
        if let url = p.schemaRegistryURL {
            source.append(("confluent.schema.registry.url", SchemaRegistryAddress.displayed(url)))
        }
        if let partitions = p.partitions {
            source.append(("kafka_partitions", partitions.map(String.init).joined(separator: ",")))
        }
        for (key, value) in p.clientProperties.sorted(by: { $0.key < $1.key }) {
            source.append(("property.\(key)", SecretSettings.isSecret(key) ? SecretSettings.createMask : value))
        }
        source.append(("property.kafka_default_offsets", Self.offsetName(p.defaultOffset)))
        // Values are SQL string literals: quotes and backslashes escaped so the statement runs
        // again as printed (jsonpaths hold double quotes).
        func literal(_ text: String) -> String {
            "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        func list(_ pairs: [(String, String)]) -> String {
            pairs.map { "\(literal($0.0))=\(literal($0.1))" }.joined(separator: ",\n")
        }
        var text = "CREATE ROUTINE LOAD \(d.database).\(d.name) ON \(d.table)\n"
        if !clauses.isEmpty { text += clauses.joined(separator: ",\n") + "\n" }
        text += "PROPERTIES (\n\(list(properties))\n)\nFROM KAFKA (\n\(list(source))\n);"
        return text
    }
}
