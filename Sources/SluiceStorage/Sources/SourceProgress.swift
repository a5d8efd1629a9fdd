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

    /// Whether any offset of `range` lies in a committed range.
    package func overlaps(_ range: OffsetRange) -> Bool {
        ranges.contains { $0.first <= range.last && range.first <= $0.last }
    }

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
    /// The daemon that wrote the batch (remote-sink mode). A batch with an owner is fenced: its
    /// commit is refused unless every range starts at its partition's stored next offset (or is
    /// the partition's first) and overlaps nothing committed (``SourceJob/fence(_:)``).
    package var owner: SourceOwner?

    package init(
        jobID: Int64, ranges: [Int32: OffsetRange], counters: SourceCounters, timestamps: [Int32: Int64],
        owner: SourceOwner? = nil
    ) {
        self.jobID = jobID
        self.ranges = ranges
        self.counters = counters
        self.timestamps = timestamps
        self.owner = owner
    }
}

/// Who wrote a fenced batch: a daemon's name and its consumer-group member id and generation
/// (for diagnosis; the fence itself is the offsets).
package struct SourceOwner: Codable, Sendable, Hashable, CustomStringConvertible {
    package var daemon: String
    package var member: String?
    package var generation: Int32?

    package init(daemon: String, member: String? = nil, generation: Int32? = nil) {
        self.daemon = daemon
        self.member = member
        self.generation = generation
    }

    package var description: String {
        var text = daemon
        if let member, !member.isEmpty {
            text += " (member \(member)" + (generation.map { ", generation \($0)" } ?? "") + ")"
        }
        return text
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
    /// Whether daemons elsewhere run the job (remote-sink mode): this node keeps only its
    /// progress, fed by their fenced commits; nil (local) in records written before it existed.
    package var remote: Bool?
    /// Who committed each partition's last batch (fenced batches only).
    package var owners: [Int32: SourceOwner]?

    package init(id: Int64, databaseID: Int64, name: String, definition: [UInt8]) {
        self.id = id
        self.databaseID = databaseID
        self.name = name
        self.definition = definition
    }

    package var isRemote: Bool { remote == true }

    /// nil when a fenced batch may commit now; else why not. Unfenced batches (the local
    /// runtime, which drops replayed offsets itself) always may.
    package func fence(_ batch: SourceBatch) -> StorageError? {
        guard batch.owner != nil else { return nil }
        for (partition, range) in batch.ranges.sorted(by: { $0.key < $1.key }) {
            let done = committed[partition] ?? OffsetRangeSet()
            let stored = position[partition]
            let state =
                "stored next offset \(stored.map(String.init) ?? "none"), committed "
                + (done.ranges.isEmpty ? "nothing" : done.ranges.map(\.description).joined(separator: ","))
                + (owners?[partition].map { ", last by \($0)" } ?? "")
            if done.overlaps(range) {
                return StorageError(
                    .sourceRangeConflict,
                    "source range conflict: job \(name) partition \(partition) offsets \(range) were already "
                        + "committed (\(state)); read the job's progress and resume from its next offset")
            }
            if let stored, range.first != stored {
                return StorageError(
                    .sourceGap,
                    "source gap: job \(name) partition \(partition) batch \(range) does not start at the "
                        + "\(state); read the job's progress and resume from its next offset")
            }
        }
        return nil
    }

    /// Applies a committed batch: ranges join the committed set, the position moves past them.
    mutating func apply(_ batch: SourceBatch, label: String?) {
        for (partition, range) in batch.ranges {
            committed[partition, default: OffsetRangeSet()].insert(range)
            position[partition] = max(position[partition] ?? 0, range.last + 1)
            if let owner = batch.owner { owners = (owners ?? [:]).merging([partition: owner]) { $1 } }
        }
        for (partition, time) in batch.timestamps { timestamps[partition] = max(timestamps[partition] ?? 0, time) }
        counters.add(batch.counters)
        if let label { intents[label] = nil }
    }
}
