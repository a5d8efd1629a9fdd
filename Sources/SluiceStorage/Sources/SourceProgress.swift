/// Offsets `first...last` (inclusive) of one partition of an external source (a Kafka topic).
public struct OffsetRange: Codable, Sendable, Hashable, CustomStringConvertible {
    public var first: Int64
    public var last: Int64

    public init(_ first: Int64, _ last: Int64) {
        precondition(first <= last, "empty offset range")
        self.first = first
        self.last = last
    }

    public var count: Int64 { last - first + 1 }
    public var description: String { "\(first)-\(last)" }
}

/// Sorted, disjoint, non-adjacent offset ranges: what a job has committed of one partition.
public struct OffsetRangeSet: Codable, Sendable, Hashable {
    public private(set) var ranges: [OffsetRange] = []

    public init() {}

    /// Whether `offset` lies in a committed range.
    public func contains(_ offset: Int64) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            if ranges[mid].last < offset { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low].first <= offset
    }

    /// Adds `range`, merging it with overlapping and adjacent ranges.
    public mutating func insert(_ range: OffsetRange) {
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
public struct SourceCounters: Codable, Sendable, Hashable {
    public var totalRows: Int64 = 0
    public var errorRows: Int64 = 0
    public var unselectedRows: Int64 = 0
    public var loadedRows: Int64 = 0
    public var receivedBytes: Int64 = 0
    /// Messages in a batch's range that an earlier commit already loaded (not loaded again).
    public var skippedRows: Int64 = 0
    public var committedTasks: Int64 = 0
    public var taskExecuteMilliseconds: Int64 = 0

    public init() {}

    public mutating func add(_ other: SourceCounters) {
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
public struct SourceBatch: Codable, Sendable, Hashable {
    public var jobID: Int64
    /// The batch's planned ranges per partition (from the consume position to the last message).
    public var ranges: [Int32: OffsetRange]
    public var counters: SourceCounters
    /// Kafka timestamp (epoch ms) of the last message per partition.
    public var timestamps: [Int32: Int64]

    public init(jobID: Int64, ranges: [Int32: OffsetRange], counters: SourceCounters, timestamps: [Int32: Int64]) {
        self.jobID = jobID
        self.ranges = ranges
        self.counters = counters
        self.timestamps = timestamps
    }
}

/// A durable job of a loading daemon (Routine Load): an opaque definition owned by its module,
/// plus the progress only commit records change.
public struct SourceJob: Codable, Sendable, Hashable {
    public var id: Int64
    public var databaseID: Int64
    public var name: String
    /// Encoded by the job's owner (properties, state, reasons); storage never reads it.
    public var definition: [UInt8]
    /// Next offset to consume per partition (Progress = next − 1).
    public var position: [Int32: Int64] = [:]
    /// Every offset range committed so far (never forgotten, unlike labels).
    public var committed: [Int32: OffsetRangeSet] = [:]
    public var counters = SourceCounters()
    public var timestamps: [Int32: Int64] = [:]
    /// Planned batches not yet committed or abandoned, by label: a restart re-reads exactly these.
    public var intents: [String: [Int32: OffsetRange]] = [:]

    public init(id: Int64, databaseID: Int64, name: String, definition: [UInt8]) {
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
