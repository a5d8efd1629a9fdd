public import SluiceExpr

/// Protocol-neutral settings of one load (what Stream Load headers and Routine Load job
/// properties both become).
public struct LoadOptions: Sendable {
    public enum Format: String, Sendable {
        case csv, json
    }

    public var format: Format = .csv
    /// Field separator bytes (`column_separator`, default `\t`).
    public var columnSeparator: [UInt8] = [9]
    /// Record separator bytes (`row_delimiter`, default `\n`).
    public var rowDelimiter: [UInt8] = [10]
    /// The `columns` header text, if any.
    public var columns: String?
    /// The `where` header text, if any.
    public var filter: String?
    /// Largest tolerated share of filtered rows (`max_filter_ratio`). Default 0.
    public var maxFilterRatio: Double = 0
    /// Count failed conversions as filtered rows instead of NULL (`strict_mode`).
    public var strictMode = false
    public var timeZone: SessionTimeZone = .utc
    /// Only these partitions may receive rows.
    public var partitions: [String]?
    /// Bytes the load may buffer before flushing segments.
    public var memoryLimit: Int = 48 << 20
    /// Leading lines to skip (`skip_header`).
    public var skipHeader = 0
    /// Drop spaces around separators outside enclosures (`trim_space`).
    public var trimSpace = false
    /// Quote byte (`enclose`).
    public var enclose: UInt8?
    /// Escape byte (`escape`).
    public var escape: UInt8?
    /// JSON: `jsonpaths` (matched mode), `strip_outer_array`, `json_root`.
    public var jsonPaths: [String]?
    public var stripOuterArray = false
    public var jsonRoot: String?
    /// Rejected rows kept in the error log (the log always keeps the first 50).
    public var errorLogLimit = 50
    /// `log_rejected_record_num`: 0 = do not save rejected records, -1 = all, n = up to n. Saved
    /// records (the raw rows) are reported as `RejectedRecordPath`.
    public var rejectedRecordLimit = 0
    /// Statement start in microseconds since the epoch (for `now()` in expressions).
    public var nowMicros: Int64 = 0

    public init() {}
}
