package import SluiceStorage

extension JobDefinition {
    /// The Stream Load headers each remote batch's `load` carries: the job's load clauses and
    /// properties as the transaction interface names them (spec §2.5), so the sink parses the
    /// body as the local runtime would.
    package var remoteLoadHeaders: [(String, String)] {
        var headers = [("format", properties.format)]
        if properties.format != "json" {
            headers.append(("column_separator", clauses.columnSeparator ?? "\\t"))
        }
        if let delimiter = clauses.rowDelimiter, properties.format != "json" {
            headers.append(("row_delimiter", delimiter))
        }
        if let columns = clauses.columns { headers.append(("columns", columns)) }
        if let filter = clauses.filter { headers.append(("where", filter)) }
        if let partitions = clauses.partitions { headers.append(("partitions", partitions.joined(separator: ","))) }
        headers.append(("max_filter_ratio", String(properties.maxFilterRatio)))
        headers.append(("strict_mode", properties.strictMode ? "true" : "false"))
        headers.append(("timezone", properties.timezone))
        if let paths = properties.jsonPaths { headers.append(("jsonpaths", paths)) }
        if let root = properties.jsonRoot { headers.append(("json_root", root)) }
        if properties.format == "json" {
            headers.append(("strip_outer_array", properties.stripOuterArray ? "true" : "false"))
        }
        if let partial = properties.partialUpdate { headers.append(("partial_update", partial ? "true" : "false")) }
        if let mode = properties.partialUpdateMode { headers.append(("partial_update_mode", mode)) }
        if let condition = properties.mergeCondition { headers.append(("merge_condition", condition)) }
        if let envelope = properties.envelope { headers.append(("envelope", envelope)) }
        return headers
    }

    /// What remote batches' labels start with: `<job name>-<hash of db.job>-` (the same on every
    /// daemon, so any daemon finds the transactions another left behind).
    package var remoteLabelPrefix: String {
        let id = Self.remoteJobID(database: database, name: name)
        return String(BatchLabel.make(jobName: name, jobID: id, epoch: 0, ranges: [:]).dropLast(16))
    }

    /// A remote batch's label: a pure function of the job and the batch's ranges, so a retry by
    /// any daemon meets the first attempt.
    package func remoteLabel(_ ranges: [Int32: OffsetRange]) -> String {
        BatchLabel.make(
            jobName: name, jobID: Self.remoteJobID(database: database, name: name), epoch: reloadEpoch, ranges: ranges)
    }

    /// A standard-API batch's label (one partition per transaction): `<job>-<job hash>-<partition>-<start
    /// offset>`. It names one position in the partition's chain of batches, so label uniqueness
    /// fences two writers starting at the same offset (design/SCALE-OUT.md §3.4).
    package func standardLabel(partition: Int32, start: Int64) -> String {
        let job = String(
            name.prefix(64).map { $0.isASCII && ($0.isLetter || $0.isNumber) || $0 == "_" || $0 == "-" ? $0 : "_" })
        return "\(job)-\(Self.remoteJobID(database: database, name: name))-\(partition)-\(start)"
    }

    /// A stable positive id from `db.job` (FNV-1a), the same on every daemon.
    static func remoteJobID(database: String, name: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(database).\(name)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(hash >> 1)
    }
}
