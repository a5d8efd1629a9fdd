import Foundation
import SluiceExpr
import SluiceFormat
package import SluiceLoad
package import SluiceStorage

/// One `DATA INFILE (...) INTO TABLE ...` clause of a Broker Load (spec C.2), as written: the
/// files, the target and how rows map onto it.
package struct FileDataDescription: Codable, Sendable, Hashable {
    package var paths: [String]
    package var negative = false
    package var table: String
    package var partitions: [String]?
    package var columnSeparator: String?
    package var rowDelimiter: String?
    /// `FORMAT AS` as written (`CSV`, `JSON`, `Parquet`, `ORC`); nil: from the file extension.
    package var format: String?
    /// The CSV options of `(skip_header = 1 trim_space = true enclose = "\"" escape = "\\")`.
    package var formatOptions: [String: String] = [:]
    /// The column list `(c1, c2, tmp)`: the files' columns in order.
    package var columnList: [String]?
    /// `COLUMNS FROM PATH AS (k1, ...)`.
    package var columnsFromPath: [String]?
    /// `SET (c3 = f(tmp), ...)`: each assignment's text.
    package var assignments: [String]?
    /// The `WHERE` predicate text.
    package var filter: String?

    package init(paths: [String], table: String) {
        self.paths = paths
        self.table = table
    }

    /// The file formats file loads read.
    package enum Format: String, Sendable {
        case csv, json, parquet
    }

    /// The format: `FORMAT AS`, else the first path's extension (`.parquet`, `.orc`, `.json`),
    /// else CSV.
    /// - Throws: ``LoadError`` `.invalidArgument` for ORC and unknown formats.
    package func resolvedFormat() throws(LoadError) -> Format {
        let name: String
        if let format {
            name = format.lowercased()
        } else {
            let path = FileFeed.withoutCompression(paths.first?.lowercased() ?? "")
            name =
                path.hasSuffix(".parquet")
                ? "parquet"
                : path.hasSuffix(".orc")
                    ? "orc"
                    : path.hasSuffix(".json") || path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") ? "json" : "csv"
        }
        switch name {
        case "csv", "csv_with_names", "csvwithnames": return .csv
        case "json": return .json
        case "parquet": return .parquet
        case "orc":
            throw LoadError(.invalidArgument, "ORC files are not supported: convert them to Parquet or CSV")
        default:
            throw LoadError(.invalidArgument, "Unknown file format '\(format ?? name)': use CSV, JSON or Parquet")
        }
    }

    /// The Stream Load `columns` text: the column list, the path's columns, the SET assignments.
    /// Without a column list but with path columns, the files hold the table's other columns in
    /// order.
    package func columnsText(table: TableMeta) -> String? {
        let fromPath = columnsFromPath ?? []
        var fileColumns = columnList ?? []
        if columnList == nil && !fromPath.isEmpty {
            let taken = Set(fromPath.map { $0.lowercased() })
            fileColumns = table.schema.columns.map(\.name).filter { !taken.contains($0.lowercased()) }
        }
        let parts = fileColumns + fromPath + (assignments ?? [])
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    /// The load options of this clause into `table` under the job's properties.
    /// - Throws: ``LoadError`` `.invalidArgument` for a bad separator or CSV option.
    package func loadOptions(_ properties: FileLoadProperties, table: TableMeta) throws(LoadError) -> LoadOptions {
        var options = properties.baseOptions()
        switch try resolvedFormat() {
        case .json: options.format = .json
        case .csv, .parquet: options.format = .csv
        }
        options.columnSeparator = [9]
        if let columnSeparator {
            options.columnSeparator = try LoadOptions.separator(columnSeparator, name: "column separator")
        }
        if let rowDelimiter { options.rowDelimiter = try LoadOptions.separator(rowDelimiter, name: "row delimiter") }
        options.columns = columnsText(table: table)
        options.columnsFromPath = columnsFromPath ?? []
        options.filter = filter
        options.partitions = partitions
        options.negative = negative
        for (key, value) in formatOptions {
            switch key.lowercased() {
            case "skip_header":
                guard let lines = Int(value), lines >= 0 else {
                    throw LoadError(.invalidArgument, "Invalid skip_header: '\(value)': write a number of lines ≥ 0")
                }
                options.skipHeader = lines
            case "trim_space":
                guard let flag = Bool(value.lowercased()) else {
                    throw LoadError(.invalidArgument, "Invalid trim_space: '\(value)': write true or false")
                }
                options.trimSpace = flag
            case "enclose", "escape":
                let bytes = Array(value.utf8)
                guard bytes.count == 1 else {
                    throw LoadError(.invalidArgument, "Invalid \(key.lowercased()): '\(value)': write one character")
                }
                if key.lowercased() == "enclose" { options.enclose = bytes[0] } else { options.escape = bytes[0] }
            default:
                throw LoadError(
                    .invalidArgument,
                    "Unknown CSV option '\(key)': use skip_header, trim_space, enclose or escape")
            }
        }
        return options
    }
}

/// The `PROPERTIES (...)` of a Broker Load (spec C.2), validated at submission.
package struct FileLoadProperties: Codable, Sendable, Hashable {
    /// Seconds the whole job may take (default 14400, 4 hours).
    package var timeoutSeconds: Int64 = 14_400
    package var maxFilterRatio: Double = 0
    /// True by default, unlike StarRocks' Broker Load (decision 0014): a value that cannot be
    /// converted is an error row, not a silent NULL.
    package var strictMode = true
    package var timezone = "Asia/Shanghai"
    package var logRejectedRecordNum: Int = 0
    package var loadMemLimit: Int?
    package var priority = "NORMAL"
    package var partialUpdate = false
    package var partialUpdateMode = "row"
    package var mergeCondition: String?
    package var jsonPaths: String?
    package var stripOuterArray = false
    package var jsonRoot: String?
    package var envelope: String?

    package init() {}

    /// The properties StarRocks' Broker Load takes.
    package static let names: Set<String> = [
        "timeout", "max_filter_ratio", "strict_mode", "timezone", "log_rejected_record_num", "load_mem_limit",
        "priority", "partial_update", "partial_update_mode", "merge_condition", "jsonpaths", "strip_outer_array",
        "json_root", "envelope", "exec_mem_limit", "send_batch_parallelism", "load_to_single_tablet", "warehouse",
    ]

    /// - Throws: ``LoadError`` `.invalidArgument` naming the property and what it takes.
    package init(_ raw: [String: String]) throws(LoadError) {
        for (key, value) in raw {
            let name = key.lowercased()
            func flag() throws(LoadError) -> Bool {
                guard let flag = Bool(value.lowercased()) else {
                    throw LoadError(.invalidArgument, "Invalid \(name): '\(value)': write true or false")
                }
                return flag
            }
            func number(_ range: ClosedRange<Int64>) throws(LoadError) -> Int64 {
                guard let n = Int64(value), range.contains(n) else {
                    throw LoadError(
                        .invalidArgument,
                        "Invalid \(name): '\(value)': write a whole number from \(range.lowerBound) to \(range.upperBound)"
                    )
                }
                return n
            }
            switch name {
            case "timeout": timeoutSeconds = try number(1...259_200)
            case "max_filter_ratio": maxFilterRatio = try LoadOptions.filterRatio(value)
            case "strict_mode": strictMode = try flag()
            case "timezone":
                guard SessionTimeZone(value) != nil else {
                    throw LoadError(.invalidArgument, "Unknown or incorrect time zone: '\(value)'")
                }
                timezone = value
            case "log_rejected_record_num": logRejectedRecordNum = Int(try number(-1...Int64(Int32.max)))
            case "load_mem_limit", "exec_mem_limit": loadMemLimit = Int(try number(0...Int64.max))
            case "priority":
                let upper = value.uppercased()
                guard ["LOWEST", "LOW", "NORMAL", "HIGH", "HIGHEST"].contains(upper) else {
                    throw LoadError(
                        .invalidArgument, "Invalid priority: '\(value)': use LOWEST, LOW, NORMAL, HIGH or HIGHEST")
                }
                priority = upper
            case "partial_update": partialUpdate = try flag()
            case "partial_update_mode":
                let mode = value.lowercased()
                guard ["row", "column", "auto"].contains(mode) else {
                    throw LoadError(.invalidArgument, "Invalid partial_update_mode: '\(value)': use row or column")
                }
                partialUpdateMode = mode
            case "merge_condition": mergeCondition = value
            case "jsonpaths":
                _ = try LoadOptions.jsonPaths(value)
                jsonPaths = value
            case "strip_outer_array": stripOuterArray = try flag()
            case "json_root": jsonRoot = value
            case "envelope":
                guard value.lowercased() == "debezium" else {
                    throw LoadError(.invalidArgument, "Invalid envelope: '\(value)': the only envelope is debezium")
                }
                envelope = "debezium"
            case "send_batch_parallelism", "load_to_single_tablet", "warehouse":
                break  // accepted for compatibility; one process has nothing to spread
            default:
                throw LoadError(.invalidArgument, "Unknown property: \(key)")
            }
        }
    }

    /// Options every clause starts from.
    func baseOptions() -> LoadOptions {
        var options = LoadOptions()
        options.maxFilterRatio = maxFilterRatio
        options.strictMode = strictMode
        options.timeZone = SessionTimeZone(timezone) ?? .utc
        options.rejectedRecordLimit = logRejectedRecordNum
        if let loadMemLimit, loadMemLimit > 0 { options.memoryLimit = loadMemLimit }
        options.partialUpdate = partialUpdate
        options.partialUpdateMode = partialUpdateMode
        options.mergeCondition = mergeCondition
        options.jsonPaths = jsonPaths.flatMap { try? LoadOptions.jsonPaths($0) }
        options.stripOuterArray = stripOuterArray
        options.jsonRoot = jsonRoot
        options.debeziumEnvelope = envelope == "debezium"
        options.nowMicros = Int64(Date().timeIntervalSince1970 * 1_000_000)
        options.flushDepth = max(1, ProcessInfo.processInfo.activeProcessorCount)
        return options
    }

    /// `max_filter_ratio` as SHOW LOAD's TaskInfo writes it (`0.0`, `0.5`).
    package var filterRatioText: String {
        let text = String(maxFilterRatio)
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }
}
