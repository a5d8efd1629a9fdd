import Synchronization

/// What SHOW ROUTINE LOAD TASK shows of one task (the batch it is forming or loading).
package struct TaskStatus: Sendable, Hashable {
    package var taskID: String
    /// -1 until the batch's transaction begins.
    package var transactionID: Int64 = -1
    /// `UNKNOWN`, `PREPARE`, `PREPARED`, `COMMITTED`, `VISIBLE` or `ABORTED`.
    package var transactionStatus = "UNKNOWN"
    /// Seconds since the epoch.
    package var createTime: Int64
    package var lastScheduledTime: Int64
    package var executeStartTime: Int64?
    package var timeoutSeconds: Int
    /// Next offset per owned partition.
    package var positions: [Int32: Int64]
    package var message = ""
    /// Why the task's last batch closed.
    package var closeReason: BatchCloseReason?
}

/// A job's live state: its definition (the durable part, journaled on every change), task
/// statuses, the error window and what SHOW needs beyond the journal. Shared by the job's
/// threads and the statement API.
final class JobRuntime: Sendable {
    let id: Int64
    let state: Mutex<Shared>

    struct Shared {
        var definition: JobDefinition
        var tasks: [Int: TaskStatus] = [:]
        /// §3.8 error window.
        var windowTotalRows: Int64 = 0
        var windowErrorRows: Int64 = 0
        var abortedTasks: Int64 = 0
        /// Batches in a row that failed because the schema registry could not name a schema.
        var registryFailures = 0
        /// Partition end offsets last observed.
        var latest: [Int32: Int64] = [:]
        var otherMessage = ""
        /// Broker answers and errors since the job last started.
        var source: SourceHealth
        var runner: JobRunner?
    }

    init(definition: JobDefinition, now: Int64) {
        id = definition.id
        state = Mutex(Shared(definition: definition, source: SourceHealth(since: now)))
    }

    var definition: JobDefinition { state.withLock { $0.definition } }
}
