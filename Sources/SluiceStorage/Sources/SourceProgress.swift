/// Offsets `first...last` (inclusive) of one partition of an external source (a Kafka topic).
package struct OffsetRange: Codable, Sendable, Hashable, CustomStringConvertible {
    package var first: Int64
    package var last: Int64

    package init(_ first: Int64, _ last: Int64) {
        precondition(first <= last, "empty offset range")
        self.first = first
        self.last = last
    }

    package var count: Int64 { last - first + 1 }
    package var description: String { "\(first)-\(last)" }
}

/// Sorted, disjoint, non-adjacent offset ranges: what a job has committed of one partition.
package struct OffsetRangeSet: Codable, Sendable, Hashable {
    package private(set) var ranges: [OffsetRange] = []

    package init() {}

    /// Whether `offset` lies in a committed range.
    package func contains(_ offset: Int64) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].last < offset { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low].first <= offset
    }

    /// Adds `range`, merging it with overlapping and adjacent ranges.
    package mutating func insert(_ range: OffsetRange) {
        var merged = range
        var result = [OffsetRange]()
        result.reserveCapacity(ranges.count + 1)
        var placed = false
        for r in ranges {
            if r.last + 1 < merged.first {
                result.append(r)
            } else if merged.last + 1 < r.first {
                if !placed { result.append(merged); placed = true }
                result.append(r)
            } else {
                merged = OffsetRange(min(r.first, merged.first), max(r.last, merged.last))
            }
        }
        if !placed { result.append(merged) }
        ranges = result
    }
}

/// Statistics of committed batches (SHOW ROUTINE LOAD's `Statistic`), summed by commit records.
package struct SourceCounters: Codable, Sendable, Hashable {
    package var totalRows: Int64 = 0
    package var errorRows: Int64 = 0
    package var unselectedRows: Int64 = 0
    package var loadedRows: Int64 = 0
    package var receivedBytes: Int64 = 0
    /// Messages in a batch's range that an earlier commit already loaded (not loaded again).
    package var skippedRows: Int64 = 0
    package var committedTasks: Int64 = 0
    package var taskExecuteMilliseconds: Int64 = 0

    package init() {}

    package mutating func add(_ other: SourceCounters) {
        totalRows += other.totalRows
        errorRows += other.errorRows
        unselectedRows += other.unselectedRows
        loadedRows += other.loadedRows
        receivedBytes += other.receivedBytes
        skippedRows += other.skippedRows
        committedTasks += other.committedTasks
        taskExecuteMilliseconds += other.taskExecuteMilliseconds
    }
}

/// What one committed micro-batch of a job covered; stored in its commit record so data and
/// offsets commit atomically.
package struct SourceBatch: Codable, Sendable, Hashable {
    package var jobID: Int64
    /// The batch's planned ranges per partition (from the consume position to the last message).
    package var ranges: [Int32: OffsetRange]
    package var counters: SourceCounters
    /// Kafka timestamp (epoch ms) of the last message per partition.
    package var timestamps: [Int32: Int64]

    package init(jobID: Int64, ranges: [Int32: OffsetRange], counters: SourceCounters, timestamps: [Int32: Int64]) {
        self.jobID = jobID
        self.ranges = ranges
        self.counters = counters
        self.timestamps = timestamps
    }
}

/// A durable job of a loading daemon (Routine Load): an opaque definition owned by its module,
/// plus the progress only commit records change.
package struct SourceJob: Codable, Sendable, Hashable {
    package var id: Int64
    package var databaseID: Int64
    package var name: String
    /// Encoded by the job's owner (properties, state, reasons); storage never reads it.
    package var definition: [UInt8]
    /// Next offset to consume per partition (Progress = next − 1).
    package var position: [Int32: Int64] = [:]
    /// Every offset range committed so far (never forgotten, unlike labels).
    package var committed: [Int32: OffsetRangeSet] = [:]
    package var counters = SourceCounters()
    package var timestamps: [Int32: Int64] = [:]
    /// Planned batches not yet committed or abandoned, by label: a restart re-reads exactly these.
    package var intents: [String: [Int32: OffsetRange]] = [:]

    package init(id: Int64, databaseID: Int64, name: String, definition: [UInt8]) {
        self.id = id
        self.databaseID = databaseID
        self.name = name
        self.definition = definition
    }

    /// Applies a committed batch: ranges join the committed set, the position moves past them.
    mutating func apply(_ batch: SourceBatch, label: String?) {
        for (partition, range) in batch.ranges {
            committed[partition, default: OffsetRangeSet()].insert(range)
            position[partition] = max(position[partition] ?? 0, range.last + 1)
        }
        for (partition, time) in batch.timestamps { timestamps[partition] = max(timestamps[partition] ?? 0, time) }
        counters.add(batch.counters)
        if let label { intents[label] = nil }
    }
}
