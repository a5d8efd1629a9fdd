import SluiceLoad

/// Where a partition starts reading (spec §3.3): an explicit next offset or a sentinel resolved
/// against the broker when the job is scheduled.
package enum KafkaStartOffset: Sendable, Hashable, Codable {
    case beginning
    case end
    /// The next offset to read.
    case offset(Int64)

    /// Parses `OFFSET_BEGINNING`, `OFFSET_END` (any case) or a non-negative offset.
    /// - Throws: `Can not specify offset smaller than 0` for negative numbers.
    package static func parse(_ text: String) throws -> KafkaStartOffset {
        let trimmed = text.trimmingSpaces
        switch trimmed.uppercased() {
        case "OFFSET_BEGINNING": return .beginning
        case "OFFSET_END": return .end
        default:
            guard let value = Int64(trimmed) else {
                throw RoutineLoadError(.invalidProperty, "Invalid kafka offset: \(text)")
            }
            guard value >= 0 else { throw RoutineLoadError(.invalidProperty, "Can not specify offset smaller than 0") }
            return .offset(value)
        }
    }
}

/// The validated `PROPERTIES (…)` and `FROM KAFKA (…)` of a Routine Load job (spec §3.2, §3.3),
/// with StarRocks' defaults and error messages.
package struct JobProperties: Sendable, Hashable, Codable {
    package var desiredConcurrentNumber = 5
    /// Seconds; at least 5.
    package var maxBatchInterval = 10
    package var maxBatchRows = 200_000
    /// Bytes a batch may hold (StarRocks' `max_routine_load_batch_size`, 4 GiB).
    package var maxBatchSize: Int64 = 4_294_967_296
    package var maxErrorNumber: Int64 = 0
    /// Per-task filter ratio; 1 disables the check (the Routine Load default).
    package var maxFilterRatio = 1.0
    package var strictMode = false
    package var timezone = "UTC"
    package var format = "csv"
    package var jsonPaths: String?
    package var stripOuterArray = false
    package var jsonRoot: String?
    package var logRejectedRecordNum: Int64 = 0
    package var taskConsumeSecond = 15
    package var taskTimeoutSecond = 60
    /// `offset_out_of_range_policy`: `skip` records the gap and continues; otherwise the job pauses.
    package var skipOutOfRangeOffsets = false
    /// `reload_committed_offsets`: load offsets again even if an earlier batch committed them.
    package var reloadCommittedOffsets = false
    /// `partial_update` (PRIMARY KEY tables): only the `COLUMNS` named change. Optional fields
    /// decode as absent from job definitions journaled before they existed.
    package var partialUpdate: Bool?
    package var partialUpdateMode: String?
    /// `merge_condition` (PRIMARY KEY tables).
    package var mergeCondition: String?
    /// `envelope`: `debezium` unwraps change events (before/after/op) into rows and `__op`.
    package var envelope: String?

    package var brokerList: String = ""
    package var topic: String = ""
    /// Explicit partitions (`kafka_partitions`); nil = every partition of the topic.
    package var partitions: [Int32]?
    /// Start offsets per listed partition (`kafka_offsets`).
    package var offsets: [KafkaStartOffset]?
    /// `property.kafka_default_offsets` (default OFFSET_END).
    package var defaultOffset: KafkaStartOffset = .end
    /// `confluent.schema.registry.url` (Avro jobs): one URL or a comma-separated list, credentials
    /// in the userinfo (never shown: see ``SchemaRegistryAddress``).
    package var schemaRegistryURL: String?
    /// `property.*` passed to librdkafka, prefix removed.
    package var clientProperties: [String: String] = [:]

    static let jobKeys: Set<String> = [
        "desired_concurrent_number", "max_batch_interval", "max_batch_rows", "max_batch_size", "max_error_number",
        "max_filter_ratio", "strict_mode", "timezone", "format", "jsonpaths", "strip_outer_array", "json_root",
        "log_rejected_record_num", "task_consume_second", "task_timeout_second", "partial_update",
        "partial_update_mode",
        "merge_condition", "trim_space", "enclose", "escape", "enable_profile", "pause_on_fatal_parse_error",
        "skip_on_fatal_parse_error", "fill_mismatch_column_with", "warehouse",
        "offset_out_of_range_policy", "reload_committed_offsets", "envelope",
    ]
    static let sourceKeys: Set<String> = [
        "kafka_broker_list", "kafka_topic", "kafka_partitions", "kafka_offsets",
        "confluent.schema.registry.url",
    ]

    package init() {}

    /// Validates and applies job and source properties.
    /// - Throws: ``RoutineLoadError`` with StarRocks' message (e.g. `foo is invalid property`).
    package init(properties: [String: String], source: [String: String]) throws {
        self.init()
        try apply(properties: properties)
        try apply(source: source, creating: true)
        try checkFormat()
    }

    /// An Avro job names its schema registry (StarRocks' message when it does not).
    package func checkFormat() throws(RoutineLoadError) {
        if format == "avro", schemaRegistryURL == nil {
            throw RoutineLoadError(.invalidProperty, "confluent.schema.registry.url is a required property")
        }
    }

    /// Applies job properties (CREATE, or ALTER of a paused job).
    package mutating func apply(properties: [String: String]) throws {
        func fail(_ message: String) -> RoutineLoadError { RoutineLoadError(.invalidProperty, message) }
        for (rawKey, value) in properties {
            let key = rawKey.lowercased()
            guard Self.jobKeys.contains(key) else { throw fail("\(rawKey) is invalid property") }
            switch key {
            case "desired_concurrent_number":
                guard let n = Int(value), n > 0 else { throw fail("desired_concurrent_number should > 0") }
                desiredConcurrentNumber = n
            case "max_batch_interval":
                guard let n = Int(value), n >= 5 else { throw fail("max_batch_interval should >= 5") }
                maxBatchInterval = n
            case "max_batch_rows":
                guard let n = Int(value), n >= 200_000 else { throw fail("max_batch_rows should >= 200000") }
                maxBatchRows = n
            case "max_batch_size":
                if let n = Int64(value), n > 0 { maxBatchSize = n }
            case "max_error_number":
                guard let n = Int64(value), n >= 0 else { throw fail("max_error_number should >= 0") }
                maxErrorNumber = n
            case "max_filter_ratio":
                guard let r = Double(value) else { throw fail("Incorrect format of max_filter_ratio") }
                guard (0...1).contains(r) else { throw fail("max_filter_ratio must between 0.0 and 1.0.") }
                maxFilterRatio = r
            case "strict_mode":
                guard let b = Self.bool(value) else { throw fail("strict_mode should be a boolean") }
                strictMode = b
            case "format":
                let f = value.lowercased()
                guard ["csv", "json", "avro"].contains(f) else {
                    throw fail("Format type is invalid. format=`\(value)`")
                }
                format = f
            case "log_rejected_record_num":
                guard let n = Int64(value), n >= -1 else { throw fail("log_rejected_record_num should >= -1") }
                logRejectedRecordNum = n
            case "partial_update":
                guard let b = Self.bool(value) else { throw fail("partial_update should be a boolean") }
                partialUpdate = b
            case "partial_update_mode":
                guard ["row", "column", "auto"].contains(value.lowercased()) else {
                    throw fail("partial_update_mode should be one of: row, column, auto")
                }
                partialUpdateMode = value.lowercased()
            case "merge_condition":
                mergeCondition = value.trimmingSpaces.isEmpty ? nil : value.trimmingSpaces
            case "envelope":
                guard value.lowercased() == "debezium" else {
                    throw fail("envelope should be debezium")
                }
                envelope = "debezium"
            case "enable_profile":
                guard Self.bool(value) != nil else { throw fail("enable_profileshould be a boolean") }
            case "timezone": timezone = value
            case "jsonpaths":
                if !value.isEmpty { _ = try Self.parseJSONPaths(value) }
                jsonPaths = value.isEmpty ? nil : value
            case "offset_out_of_range_policy":
                switch value.lowercased() {
                case "skip": skipOutOfRangeOffsets = true
                case "error", "pause": skipOutOfRangeOffsets = false
                default: throw fail("offset_out_of_range_policy should be one of: pause, skip")
                }
            case "reload_committed_offsets":
                guard let b = Self.bool(value) else { throw fail("reload_committed_offsets should be a boolean") }
                reloadCommittedOffsets = b
            case "strip_outer_array": stripOuterArray = Self.bool(value) ?? false
            case "json_root": jsonRoot = value.isEmpty ? nil : value
            case "task_consume_second":
                guard let n = Int(value), n > 0 else { throw fail("task_consume_second should > 0") }
                taskConsumeSecond = n
                if properties["task_timeout_second"] == nil { taskTimeoutSecond = n * 4 }
            case "task_timeout_second":
                guard let n = Int(value), n > 0 else { throw fail("task_timeout_second should > 0") }
                taskTimeoutSecond = n
                if properties["task_consume_second"] == nil { taskConsumeSecond = max(1, n / 4) }
            default:
                break
            }
        }
    }

    /// Applies `FROM KAFKA (…)` keys; `creating` requires broker list and topic.
    package mutating func apply(source: [String: String], creating: Bool) throws {
        func fail(_ message: String) -> RoutineLoadError { RoutineLoadError(.invalidProperty, message) }
        for (rawKey, value) in source {
            let key = rawKey.lowercased()
            if key.hasPrefix("property.") {
                let name = String(rawKey.dropFirst("property.".count))
                guard !name.isEmpty, !value.isEmpty else {
                    throw fail("kafka property value could not be a empty string")
                }
                if name == "kafka_default_offsets" {
                    defaultOffset = try KafkaStartOffset.parse(value)
                } else {
                    clientProperties[name] = value
                }
                continue
            }
            guard Self.sourceKeys.contains(key) else { throw fail("\(rawKey) is invalid kafka custom property") }
        }
        if let brokers = source.first(where: { $0.key.lowercased() == "kafka_broker_list" })?.value {
            let list = brokers.replacingSpaces
            for item in list.split(separator: ",", omittingEmptySubsequences: false) where !Self.isBroker(item) {
                throw fail(
                    "kafka_broker_list:\(item) not match pattern [-A-Za-z0-9+&@#/%?=~_|!:,.;]+[-A-Za-z0-9+&@#/%=~_|]")
            }
            brokerList = list
        } else if creating {
            throw fail("kafka_broker_list is a required property")
        }
        if let url = source.first(where: { $0.key.lowercased() == "confluent.schema.registry.url" })?.value {
            let trimmed = url.trimmingSpaces
            guard !trimmed.isEmpty else { throw fail("confluent.schema.registry.url could not be a empty string") }
            guard SchemaRegistryAddress.parseList(trimmed) != nil else {
                throw fail(
                    "confluent.schema.registry.url is not a valid URL list: write http[s]://[user:password@]host[:port]"
                        + "[, …]")
            }
            schemaRegistryURL = trimmed
        }
        if let topic = source.first(where: { $0.key.lowercased() == "kafka_topic" })?.value {
            self.topic = topic.trimmingSpaces
        } else if creating {
            throw fail("kafka_topic is a required property")
        }
        if let text = source.first(where: { $0.key.lowercased() == "kafka_partitions" })?.value {
            guard !text.trimmingSpaces.isEmpty else { throw fail("kafka_partitions could not be a empty string") }
            var list = [Int32]()
            for item in text.split(separator: ",") {
                guard let p = Int32(String(item).trimmingSpaces), p >= 0 else {
                    throw fail("kafka_partitions must be a number string with comma-separated")
                }
                list.append(p)
            }
            partitions = list
        }
        if let text = source.first(where: { $0.key.lowercased() == "kafka_offsets" })?.value {
            guard !text.trimmingSpaces.isEmpty else { throw fail("kafka_offsets could not be a empty string") }
            let parsed = try text.split(separator: ",").map { try KafkaStartOffset.parse(String($0)) }
            guard let partitions, partitions.count == parsed.count else {
                throw fail("Partitions number should be equals to offsets number")
            }
            offsets = parsed
        }
    }

    /// The paths of a `jsonpaths` JSON array of strings.
    package static func parseJSONPaths(_ text: String) throws(RoutineLoadError) -> [String] {
        do { return try LoadOptions.jsonPaths(text) } catch { throw RoutineLoadError(.invalidProperty, error.message) }
    }

    static func bool(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    /// StarRocks' broker pattern: one or more allowed characters, not ending in `?`, `!`, `:`, `,`, `.`, `;`.
    static func isBroker(_ item: Substring) -> Bool {
        let allowed = Set("-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+&@#/%?=~_|!:,.;")
        let lastAllowed = Set("-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+&@#/%=~_|")
        guard item.count >= 2, let last = item.last, lastAllowed.contains(last) else { return false }
        return item.allSatisfy { allowed.contains($0) }
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }

    var replacingSpaces: String { String(filter { $0 != " " }) }
}
