import Foundation
package import HTTPTypes
import SluiceExpr
package import SluiceLoad
import SluiceStorage

/// Stream Load headers → ``LoadOptions``, with StarRocks' validation messages (spec §1.2).
///
/// Parsing happens in two steps, like StarRocks' BE: ``validateBeforeBegin()`` (format, timeout,
/// sizes) before the transaction begins, ``configure(_:)`` for everything else after it.
/// Unknown header names are ignored; Doris spellings (`line_delimiter`, `read_json_by_line`,
/// `two_phase_commit: false`) are accepted.
package struct StreamLoadHeaders: Sendable {
    let fields: HTTPFields

    package init(fields: HTTPFields) { self.fields = fields }

    /// Server limits that apply to every load.
    package struct Limits {
        var streamingLoadMaxBytes: Int
        var jsonMaxBytes = 100 * 1024 * 1024
        var defaultTimeoutSeconds = 600
        var defaultMemoryLimit: Int

        package init(streamingLoadMaxBytes: Int, defaultMemoryLimit: Int) {
            self.streamingLoadMaxBytes = streamingLoadMaxBytes
            self.defaultMemoryLimit = defaultMemoryLimit
        }
    }

    func value(_ name: String) -> String? {
        guard let key = HTTPField.Name(name) else { return nil }
        return fields[key]
    }

    var label: String? {
        value("label").map { $0.trimmingCharacters(in: .whitespaces) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Format, timeout and body-size checks that precede `begin` (spec §1.3 steps 4–6).
    package func validateBeforeBegin(contentLength: Int?, limits: Limits, label: String) throws(LoadError) -> (
        LoadOptions.Format, Int
    ) {
        if let contentLength, contentLength > limits.streamingLoadMaxBytes {
            throw LoadError(
                .bodyTooLarge,
                "body size \(contentLength) exceed limit: \(limits.streamingLoadMaxBytes), label=\(label). You can increase the limit by setting streaming_load_max_mb in be.conf."
            )
        }
        let format: LoadOptions.Format
        switch value("format")?.lowercased() {
        case nil, "", "csv": format = .csv
        case "json": format = .json
        case let other? where Self.compressedFormats.contains(other): format = .csv
        case let other?:
            throw LoadError(.invalidArgument, "unknown data format, format=\(value("format") ?? other)")
        }
        if format == .json, let contentLength, contentLength > limits.jsonMaxBytes, !isTrue("ignore_json_size") {
            throw LoadError(
                .bodyTooLarge,
                "The size of this batch exceed the max size [\(limits.jsonMaxBytes)]  of json type data  data [ \(contentLength) ]. Set ignore_json_size to skip the check, although it may lead huge memory consuming."
            )
        }
        var timeout = limits.defaultTimeoutSeconds
        if let text = value("timeout") {
            guard let parsed = Int32(text.trimmingCharacters(in: .whitespaces)), parsed >= 0 else {
                throw LoadError(.invalidArgument, "Invalid timeout format")
            }
            guard (1...259_200).contains(Int(parsed)) else {
                throw LoadError(
                    .invalidArgument, "Invalid timeout: \(parsed). Timeout should between 1 and 259200 seconds")
            }
            timeout = Int(parsed)
        }
        return (format, timeout)
    }

    /// `format` values that mean CSV compressed this way (the BE's spelling).
    static let compressedFormats: Set<String> = ["gzip", "bzip2", "lz4", "deflate", "zstd"]

    /// The body's compression: `compression` or `Content-Encoding`, whichever is set, else the
    /// compression a `format` such as `gzip` names.
    var contentEncoding: String? {
        value("compression") ?? value("content-encoding")
            ?? value("format").map { $0.lowercased() }.flatMap {
                Self.compressedFormats.contains($0) ? $0 : nil
            }
    }

    func isTrue(_ name: String) -> Bool { value(name)?.lowercased() == "true" }

    /// `true`/`false` in any case; anything else is an error with `message`.
    func boolean(_ name: String, _ message: String) throws(LoadError) -> Bool? {
        guard let text = value(name) else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw LoadError(.invalidArgument, message)
        }
    }

    /// The headers parsed after `begin`, in StarRocks' order (spec §1.3 step 8).
    package func configure(_ options: inout LoadOptions, limits: Limits) throws(LoadError) {
        options.columns = value("columns")
        options.filter = value("where")
        if let text = value("column_separator") { options.columnSeparator = try separator(text, "column_separator") }
        if let text = value("row_delimiter") ?? value("line_delimiter") {
            options.rowDelimiter = try separator(text, "row_delimiter")
        }
        if let text = value("skip_header") {
            guard let n = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw LoadError(.invalidArgument, "Invalid csv load skip_header format")
            }
            guard n >= 0 else { throw LoadError(.invalidArgument, "skip_header must be equal or greater than 0") }
            options.skipHeader = Int(n)
        }
        options.trimSpace = try boolean("trim_space", "Invalid trim space format. Must be bool type") ?? false
        if let text = value("enclose"), let byte = text.utf8.first { options.enclose = byte }
        if let text = value("escape"), let byte = text.utf8.first { options.escape = byte }
        if value("partitions") != nil, value("temporary_partitions") != nil {
            throw LoadError(.invalidArgument, "Can not specify both partitions and temporary partitions")
        }
        if value("temporary_partitions") != nil {
            throw LoadError(
                .invalidArgument, "temporary_partitions is not supported: Sluice tables have no temporary partitions")
        }
        if let text = value("partitions") {
            options.partitions = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
                !$0.isEmpty
            }
        }
        // Exactly `true` (StarRocks compares the text).
        options.negative = value("negative") == "true"
        options.strictMode = try boolean("strict_mode", "Invalid strict mode format. Must be bool type") ?? false
        if let text = value("timezone") ?? value("time_zone") {
            guard let zone = SessionTimeZone(text) else {
                throw LoadError(.invalidArgument, "Unknown or incorrect time zone: '\(text)'")
            }
            options.timeZone = zone
        }
        options.memoryLimit = limits.defaultMemoryLimit
        if let text = value("load_mem_limit") {
            guard let n = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw LoadError(.invalidArgument, "Invalid load mem limit format")
            }
            guard n >= 0 else { throw LoadError(.invalidArgument, "load_mem_limit must be equal or greater than 0") }
            if n > 0 { options.memoryLimit = min(Int(n), limits.defaultMemoryLimit * 8) }
        }
        if let text = value("exec_mem_limit") {
            guard let n = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw LoadError(.invalidArgument, "Invalid exec mem limit format")
            }
            guard n > 0 else { throw LoadError(.invalidArgument, "exec_mem_limit must be greater than 0") }
            options.memoryLimit = min(options.memoryLimit, Int(n))
        }
        if let text = value("jsonpaths"), !text.isEmpty { options.jsonPaths = try LoadOptions.jsonPaths(text) }
        options.jsonRoot = value("json_root")
        options.stripOuterArray =
            try boolean("strip_outer_array", "Invalid strip_outer_array format. Must be bool type") ?? false
        options.partialUpdate =
            try boolean("partial_update", "Invalid partial update flag format. Must be bool type") ?? false
        if let mode = value("partial_update_mode") {
            let lower = mode.trimmingCharacters(in: .whitespaces).lowercased()
            guard ["row", "column", "auto"].contains(lower) else {
                throw LoadError(
                    .invalidArgument, "Invalid partial_update_mode '\(mode)': must be row, column or auto")
            }
            options.partialUpdateMode = lower
        }
        if let envelope = value("envelope")?.trimmingCharacters(in: .whitespaces), !envelope.isEmpty {
            guard envelope.lowercased() == "debezium" else {
                throw LoadError(.invalidArgument, "Invalid envelope '\(envelope)': only debezium is supported")
            }
            guard options.format == .json else {
                throw LoadError(.invalidArgument, "envelope debezium needs format json")
            }
            options.debeziumEnvelope = true
        }
        if let condition = value("merge_condition")?.trimmingCharacters(in: .whitespaces), !condition.isEmpty {
            options.mergeCondition = condition
        }
        if let text = value("load_dop"), Int64(text.trimmingCharacters(in: .whitespaces)) == nil {
            throw LoadError(.invalidArgument, "Invalid load_dop format")
        }
        if let text = value("log_rejected_record_num") {
            guard let n = Int64(text.trimmingCharacters(in: .whitespaces)) else {
                throw LoadError(.invalidArgument, "Invalid log_rejected_record_num format")
            }
            guard n >= -1 else {
                throw LoadError(.invalidArgument, "log_rejected_record_num must be equal or greater than -1")
            }
            options.errorLogLimit = n == -1 ? Int.max : max(50, Int(n))
            options.rejectedRecordLimit = n == -1 ? Int.max : Int(n)
        }
        if let text = value("max_filter_ratio") { options.maxFilterRatio = try LoadOptions.filterRatio(text) }
        if value("content-encoding") != nil, value("compression") != nil {
            throw LoadError(.invalidArgument, "Only one of http header content-encoding and compression can be set")
        }
        if let format = value("format"), Self.compressedFormats.contains(format.lowercased()),
            value("compression") != nil || value("content-encoding") != nil
        {
            throw LoadError(
                .invalidArgument,
                "format=\(format) already names the body's compression; do not also set compression or Content-Encoding"
            )
        }
        if let encoding = contentEncoding, !BodyDecoder.supports(encoding) {
            throw LoadError(
                .invalidArgument,
                "compression \(encoding) is not supported; use gzip, deflate, lz4_frame, zstd or bzip2, or send the body uncompressed"
            )
        }
        if try boolean("two_phase_commit", "Invalid two_phase_commit format. Must be bool type") == true {
            throw LoadError(
                .invalidArgument,
                "two_phase_commit is not supported yet; use /api/transaction/{begin,load,prepare,commit}")
        }
        if let text = value("enable_merge_commit"), text.lowercased() != "false" {
            guard text.lowercased() == "true" else {
                throw LoadError(
                    .invalidArgument,
                    "Invalid parameter enable_merge_commit. The value must be bool type, but is \(text)")
            }
            throw LoadError(.invalidArgument, "enable_merge_commit is not supported yet")
        }
    }

    func separator(_ text: String, _ name: String) throws(LoadError) -> [UInt8] {
        try LoadOptions.separator(text, name: name)
    }
}
