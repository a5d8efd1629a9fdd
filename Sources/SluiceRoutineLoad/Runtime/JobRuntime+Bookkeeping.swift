import Foundation

/// The job's own bookkeeping, as mutations of its shared state: task statuses for SHOW ROUTINE
/// LOAD TASK, the §3.8 error window, the aborted-task count and `OtherMsg`. The manager only
/// decides what follows (journal, transitions, logs).
extension JobRuntime.Shared {
    mutating func taskScheduled(_ task: Int, positions: [Int32: Int64], now: Int64, timeoutSeconds: Int) {
        let previous = tasks[task]
        tasks[task] = TaskStatus(
            taskID: UUID().uuidString.lowercased(), createTime: now, lastScheduledTime: now,
            timeoutSeconds: timeoutSeconds, positions: positions, message: previous?.message ?? "",
            closeReason: previous?.closeReason)
    }

    mutating func taskIdle(_ task: Int, interval: Int) {
        tasks[task]?.message = "there is no new data in kafka/pulsar, wait for \(interval) seconds to schedule again"
    }

    mutating func taskClosed(_ task: Int, reason: BatchCloseReason, now: Int64) {
        tasks[task]?.closeReason = reason
        tasks[task]?.executeStartTime = now
        tasks[task]?.message = ""
    }

    mutating func taskStarted(_ task: Int, transactionID: Int64) {
        tasks[task]?.transactionID = transactionID
        tasks[task]?.transactionStatus = "PREPARE"
    }

    /// `stamp`: the formatted time of the failure, for `OtherMsg`.
    mutating func taskRetried(_ task: Int, reason: String, stamp: String) {
        tasks[task]?.message = "previous task aborted because of \(reason)"
        otherMessage = "\(stamp): The \(tasks[task]?.taskID ?? "") task failed due to: \(reason)"
    }

    /// Counts a batch the schema registry failed; returns how many failed in a row.
    mutating func registryFailed() -> Int {
        registryFailures += 1
        return registryFailures
    }

    mutating func taskAborted(_ task: Int) {
        abortedTasks += 1
        tasks[task]?.transactionStatus = "ABORTED"
    }

    /// Counts a committed batch into the §3.8 error window (`window` rows, at most `maxErrors`
    /// error rows); returns whether the window was exceeded (the job must pause). The window
    /// restarts when it fills or is exceeded.
    mutating func taskCommitted(_ task: Int, totalRows: Int, errorRows: Int, maxErrors: Int64, window: Int64) -> Bool {
        tasks[task]?.transactionStatus = "VISIBLE"
        registryFailures = 0
        windowTotalRows += Int64(totalRows)
        windowErrorRows += Int64(errorRows)
        let exceeded: Bool
        if windowTotalRows > window {
            exceeded = windowErrorRows > maxErrors
        } else if windowErrorRows > maxErrors {
            exceeded = true
        } else {
            return false
        }
        windowTotalRows = 0
        windowErrorRows = 0
        return exceeded
    }
}
