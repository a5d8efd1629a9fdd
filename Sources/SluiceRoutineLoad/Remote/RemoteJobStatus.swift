/// What a remote-sink job reports (SHOW ROUTINE LOAD's remote form, `/metrics`, logs): the
/// partitions it owns now and counters since the daemon started.
package struct RemoteJobStatus: Sendable, Hashable {
    /// Rebalance events by kind.
    package enum Rebalance: String, Sendable, Hashable, CaseIterable {
        case assigned, revoked, lost
    }

    /// How a revoke ended the batch in flight.
    package enum RevokeOutcome: String, Sendable, Hashable, CaseIterable {
        /// Committed inside the revoke deadline.
        case committed
        /// Rolled back (failed, or past the deadline).
        case rolledBack = "rolled_back"
        /// Nothing was in flight.
        case empty
    }

    package var state = "NEED_SCHEDULE"
    /// The consumer-group member id of this daemon.
    package var memberID = ""
    /// Owned partitions → next offset to load (nil while the sink's progress is unknown).
    package var owned: [Int32: Int64?] = [:]
    /// High watermark per owned partition, as last seen.
    package var highWatermarks: [Int32: Int64] = [:]
    package var rebalances: [Rebalance: Int] = [:]
    package var revokes: [RevokeOutcome: Int] = [:]
    /// Batches the sink's fence refused (another writer got there first).
    package var fencingRejections = 0
    /// Lingering PREPARED transactions found at assignment, adopted (committed) or rolled back.
    package var adoptedLingering = 0
    package var abortedLingering = 0
    package var committedBatches = 0
    package var loadedRows = 0
    package var loadedBytes = 0
    /// The batch interval in force (grows with the group: the commit budget).
    package var batchIntervalMilliseconds = 0
    /// Members of the job's consumer group, as last asked.
    package var groupMembers = 1
    package var lastError = ""

    package init() {}

    /// Messages behind per owned partition (high watermark − next offset).
    package var lag: [Int32: Int64] {
        var lag = [Int32: Int64]()
        for (partition, next) in owned {
            guard let next, let high = highWatermarks[partition] else { continue }
            lag[partition] = max(0, high - next)
        }
        return lag
    }
}
