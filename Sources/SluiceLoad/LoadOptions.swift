import Foundation
package import SluiceExpr

/// Protocol-neutral settings of one load (what Stream Load headers and Routine Load job
/// properties both become).
package struct LoadOptions: Sendable {
    package enum Format: String, Sendable {
        case csv, json
        /// Confluent-framed Avro messages, each behind a 4-byte length (Routine Load only).
        case avro
    }

    package var format: Format = .csv
    /// Field separator bytes (`column_separator`, default `\t`).
    package var columnSeparator: [UInt8] = [9]
    /// Record separator bytes (`row_delimiter`, default `\n`).
    package var rowDelimiter: [UInt8] = [10]
    /// The `columns` header text, if any.
    package var columns: String?
    /// The `where` header text, if any.
    package var filter: String?
    /// Longest single JSON value (object, array, string) a JSON load carries between chunks.
    /// Default 100 MiB (StarRocks' JSON body limit).
    package var maxJSONValueBytes = 100 << 20
    /// Longest CSV row a load carries between chunks (a missing or wrong row delimiter).
    /// Default 100 MiB.
    package var maxCSVRowBytes = 100 << 20
    /// Largest tolerated share of filtered rows (`max_filter_ratio`). Default 0.
    package var maxFilterRatio: Double = 0
    /// Count failed conversions as filtered rows instead of NULL (`strict_mode`).
    package var strictMode = false
    package var timeZone: SessionTimeZone = .utc
    /// Only these partitions may receive rows.
    package var partitions: [String]?
    /// Bytes the load may buffer before flushing segments.
    package var memoryLimit: Int = 48 << 20
    /// Segment flushes in flight at once (file loads: one per core). The memory limit is shared
    /// among them, so the load holds about as much as with one.
    package var flushDepth = 1
    /// Leading lines to skip (`skip_header`).
    package var skipHeader = 0
    /// Drop spaces around separators outside enclosures (`trim_space`).
    package var trimSpace = false
    /// Quote byte (`enclose`).
    package var enclose: UInt8?
    /// Escape byte (`escape`).
    package var escape: UInt8?
    /// JSON: `jsonpaths` (matched mode), `strip_outer_array`, `json_root`.
    package var jsonPaths: [String]?
    package var stripOuterArray = false
    package var jsonRoot: String?
    /// Rejected rows kept in the error log (the log always keeps the first 50).
    package var errorLogLimit = 50
    /// `log_rejected_record_num`: 0 = do not save rejected records, -1 = all, n = up to n. Saved
    /// records (the raw rows) are reported as `RejectedRecordPath`.
    package var rejectedRecordLimit = 0
    /// Statement start in microseconds since the epoch (for `now()` in expressions).
    package var nowMicros: Int64 = 0
    /// `partial_update`: only the columns named in `columns` change (PRIMARY KEY tables).
    package var partialUpdate = false
    /// `partial_update_mode` (`row`, `column`, `auto`): every mode has row mode's results here.
    package var partialUpdateMode = "row"
    /// `merge_condition`: a row replaces the stored one only if this column's value is ≥ the
    /// stored one (PRIMARY KEY tables).
    package var mergeCondition: String?
    /// `negative`: values are negated before aggregation (AGGREGATE KEY tables, SUM columns).
    package var negative = false
    /// `envelope: debezium`: each JSON value is a Debezium change event; `after` (c, r, u) or
    /// `before` (d) becomes the row and `op` its `__op`; tombstones are skipped.
    package var debeziumEnvelope = false
    /// `COLUMNS FROM PATH AS (...)`: source fields whose values come from each body's file path
    /// (see ``LoadSession/setPathValues(_:)``), not from the data.
    package var columnsFromPath: [String] = []

    /// Avro: where writer schemas come from (required with `format == .avro`).
    package var avro: AvroSource?

    /// Names where a rejected row came from, for the error log (Routine Load sets it).
    package var describeOrigin: (@Sendable ([UInt8]) -> String?)?

    package init() {}

    /// The CSV options as the scanner takes them.
    package var csvFormat: CSVFormat {
        get {
            CSVFormat(
                columnSeparator: columnSeparator, rowDelimiter: rowDelimiter, enclose: enclose, escape: escape,
                trimSpace: trimSpace, skipHeader: skipHeader)
        }
        set {
            columnSeparator = newValue.columnSeparator
            rowDelimiter = newValue.rowDelimiter
            enclose = newValue.enclose
            escape = newValue.escape
            trimSpace = newValue.trimSpace
            skipHeader = newValue.skipHeader
        }
    }
}

extension LoadOptions {
    /// A separator: literal text, `\xHH…` hex, or `\t`/`\n`/`\r` escapes; at most 50 bytes.
    package static func separator(_ text: String, name: String) throws(LoadError) -> [UInt8] {
        var bytes = Array(text.utf8)
        let lower = text.lowercased()
        if lower.hasPrefix("\\x") || lower.hasPrefix("\\\\x") {
            let hex = Array(lower.drop { $0 == "\\" }.dropFirst())
            guard !hex.isEmpty, hex.count % 2 == 0 else {
                throw LoadError(.invalidArgument, "Invalid \(name): \(text)")
            }
            bytes = []
            var i = 0
            while i < hex.count {
                guard let b = UInt8(String(hex[i...(i + 1)]), radix: 16) else {
                    throw LoadError(.invalidArgument, "Invalid \(name): \(text)")
                }
                bytes.append(b)
                i += 2
            }
        } else if text == "\\t" {
            bytes = [9]
        } else if text == "\\n" {
            bytes = [10]
        } else if text == "\\r\\n" {
            bytes = [13, 10]
        }
        guard !bytes.isEmpty, bytes.count <= 50 else {
            throw LoadError(.invalidArgument, "Invalid \(name): must be 1 to 50 bytes")
        }
        return bytes
    }

    /// The paths of a `jsonpaths` value: a JSON array of strings.
    package static func jsonPaths(_ text: String) throws(LoadError) -> [String] {
        guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] else {
            throw LoadError(.invalidArgument, "Invalid jsonpaths: \(text)")
        }
        return array
    }
}

extension LoadOptions {
    /// Parses `max_filter_ratio`: a finite number from 0 to 1 (StarRocks' Routine Load rule,
    /// applied to every load so `NaN` or `abc` cannot silently allow or forbid filtering).
    package static func filterRatio(_ text: String) throws(LoadError) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let ratio = Double(trimmed), ratio.isFinite else {
            throw LoadError(
                .invalidArgument,
                "Incorrect format of max_filter_ratio: '\(text)' is not a number; use a value from 0 to 1")
        }
        guard ratio >= 0, ratio <= 1 else {
            throw LoadError(.invalidArgument, "max_filter_ratio must between 0.0 and 1.0. (got \(text))")
        }
        return ratio
    }
}
