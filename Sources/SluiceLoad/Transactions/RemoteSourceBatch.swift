package import SluiceStorage

/// A source batch as a remote daemon names it (remote-sink mode): its job by name, the offsets
/// it covers and who wrote it. ``TransactionLoads/sourceBatch(_:database:)`` binds it to the
/// job's progress on this node, where the commit fences it.
package struct RemoteSourceBatch: Sendable, Hashable {
    package var job: String
    package var owner: SourceOwner
    package var ranges: [Int32: OffsetRange]
    /// Kafka timestamp (epoch ms) of the last message per partition.
    package var timestamps: [Int32: Int64]
    /// Messages of the ranges the daemon did not send (already loaded, or dropped as unreadable).
    package var skippedRows: Int64

    package init(
        job: String, owner: SourceOwner, ranges: [Int32: OffsetRange], timestamps: [Int32: Int64] = [:],
        skippedRows: Int64 = 0
    ) {
        self.job = job
        self.owner = owner
        self.ranges = ranges
        self.timestamps = timestamps
        self.skippedRows = skippedRows
    }
}

extension TransactionLoads {
    /// `remote` bound to its job of `database`, journaling the job on its first batch.
    /// - Throws: a ``TransactionOutcome`` (`.rejected`) naming the problem.
    package func sourceBatch(_ remote: RemoteSourceBatch, database: String, operation: TransactionOutcome.Operation)
        throws(TransactionOutcome) -> SourceBatch
    {
        let id: Int64
        do {
            id = try service.engine.remoteSourceJob(database: database, name: remote.job)
        } catch {
            throw TransactionOutcome(operation, .rejected, "\(error)")
        }
        var counters = SourceCounters()
        counters.skippedRows = remote.skippedRows
        counters.committedTasks = 1
        return SourceBatch(
            jobID: id, ranges: remote.ranges, counters: counters, timestamps: remote.timestamps, owner: remote.owner)
    }
}
