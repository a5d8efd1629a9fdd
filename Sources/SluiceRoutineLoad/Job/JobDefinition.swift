import SluiceExpr
package import SluiceLoad
package import SluiceStorage

/// The load clauses of CREATE/ALTER ROUTINE LOAD (spec §3.1), as written.
package struct LoadClauses: Sendable, Codable, Hashable {
    package var columnSeparator: String?
    package var rowDelimiter: String?
    /// The text inside `COLUMNS (…)`, as Stream Load's `columns` header.
    package var columns: String?
    /// The `WHERE` predicate text.
    package var filter: String?
    package var partitions: [String]?

    package init(
        columnSeparator: String? = nil, rowDelimiter: String? = nil, columns: String? = nil, filter: String? = nil,
        partitions: [String]? = nil
    ) {
        self.columnSeparator = columnSeparator
        self.rowDelimiter = rowDelimiter
        self.columns = columns
        self.filter = filter
        self.partitions = partitions
    }

    /// Replaces the clauses given in `other` (ALTER).
    package mutating func merge(_ other: LoadClauses) {
        if let v = other.columnSeparator { columnSeparator = v }
        if let v = other.rowDelimiter { rowDelimiter = v }
        if let v = other.columns { columns = v }
        if let v = other.filter { filter = v }
        if let v = other.partitions { partitions = v }
    }
}

/// Everything durable about a job except its progress (which lives in commit records). Encoded
/// into the storage journal's job record.
package struct JobDefinition: Sendable, Codable, Hashable {
    package var id: Int64
    package var name: String
    package var database: String
    package var table: String
    package var clauses: LoadClauses
    package var properties: JobProperties
    /// The job and source properties as the user gave them (SHOW CREATE ROUTINE LOAD).
    package var rawProperties: [String: String]
    package var state: JobState
    package var reason: ErrorReason?
    /// Seconds since the epoch.
    package var createTime: Int64
    package var pauseTime: Int64?
    package var endTime: Int64?
    /// Names of the last three error logs (under `errors/`).
    package var errorLogNames: [String] = []
    /// Start offsets not yet resolved against the broker (sentinels, or offsets given before
    /// scheduling), by partition.
    package var pendingOffsets: [Int32: KafkaStartOffset] = [:]
    /// Bumped by ALTER … "reload_committed_offsets"="true": committed ranges are loaded again.
    package var reloadEpoch = 0
    /// The user who created the job; each batch loads only while this user may INSERT into the
    /// table (nil: declared in the configuration, loads as the server).
    package var owner: UserIdentity?
    /// Offset ranges Kafka deleted before the job read them, skipped by policy (data loss).
    package var skippedGaps: [String] = []
    package var groupID: String

    package init(
        id: Int64, name: String, database: String, table: String, clauses: LoadClauses, properties: JobProperties,
        rawProperties: [String: String], createTime: Int64, groupID: String
    ) {
        self.id = id
        self.name = name
        self.database = database
        self.table = table
        self.clauses = clauses
        self.properties = properties
        self.rawProperties = rawProperties
        self.state = .needSchedule
        self.createTime = createTime
        self.groupID = groupID
    }

    /// What follows each message in a batch's body: the row delimiter (CSV) or a newline (JSON).
    package func messageDelimiter() throws -> [UInt8] {
        if properties.format == "json" { return [UInt8(ascii: "\n")] }
        return try clauses.rowDelimiter.map { try LoadOptions.separator($0, name: "row delimiter") } ?? [10]
    }

    /// How messages follow each other in a batch's body: delimited text, or length-prefixed
    /// binary Avro payloads.
    package func messageFraming() throws -> MessageFraming {
        if properties.format == "avro" { return .lengthPrefixed }
        return .delimited(try messageDelimiter())
    }

    /// The Stream Load options each batch runs with.
    /// - Parameter avroSchemas: where an Avro job's batches get writer schemas (nil: only checking).
    /// - Throws: ``LoadError`` for a bad separator or time zone.
    package func loadOptions(memoryLimit: Int, avroSchemas: AvroSchemaCache? = nil) throws -> LoadOptions {
        var options = LoadOptions()
        switch properties.format {
        case "json": options.format = .json
        case "avro":
            options.format = .avro
            if let avroSchemas, let url = properties.schemaRegistryURL {
                options.avro = AvroSource(registry: url, schemas: avroSchemas)
            }
        default: options.format = .csv
        }
        options.columnSeparator =
            try clauses.columnSeparator.map { try LoadOptions.separator($0, name: "column separator") } ?? [9]
        options.rowDelimiter =
            try clauses.rowDelimiter.map { try LoadOptions.separator($0, name: "row delimiter") } ?? [10]
        options.columns = clauses.columns
        options.filter = clauses.filter
        options.partitions = clauses.partitions
        options.maxFilterRatio = properties.maxFilterRatio
        options.strictMode = properties.strictMode
        guard let zone = SessionTimeZone(properties.timezone) else {
            throw LoadError(.invalidArgument, "Unknown or incorrect time zone: '\(properties.timezone)'")
        }
        options.timeZone = zone
        options.memoryLimit = memoryLimit
        if let paths = properties.jsonPaths { options.jsonPaths = try JobProperties.parseJSONPaths(paths) }
        options.jsonRoot = properties.jsonRoot
        options.stripOuterArray = properties.stripOuterArray
        options.rejectedRecordLimit = Int(properties.logRejectedRecordNum)
        options.partialUpdate = properties.partialUpdate ?? false
        options.partialUpdateMode = properties.partialUpdateMode ?? "row"
        options.mergeCondition = properties.mergeCondition
        options.debeziumEnvelope = properties.envelope == "debezium"
        return options
    }
}
