package import SluiceStorage
import Synchronization

/// What monitoring needs of one job, cheaply: state (user-paused told apart from error-paused),
/// lag and the cumulative counters of its commit records.
package struct JobHealth: Sendable, Hashable {
    package var database: String
    package var name: String
    package var state: JobState
    /// Paused by a fault (error rows, data loss, missing table) rather than by a user.
    package var pausedByError: Bool
    /// Messages between the next offset to read and the latest end offset, per partition.
    package var lag: [Int32: Int64]
    package var counters: SourceCounters
    package var abortedTasks: Int64
    /// False while a running job's brokers have been silent past the grace period.
    package var sourceUp: Bool
    /// Wall-clock milliseconds of the last answer from the job's brokers (nil: none yet).
    package var lastFetchMilliseconds: Int64?
}

/// A job's recent error logs (the files behind `ErrorLogUrls`), for
/// `information_schema.load_tracking_logs` — where `TrackingSQL` points.
package struct JobErrorLogs: Sendable {
    package var jobID: Int64
    package var database: String
    package var name: String
    package var files: [String]
}

extension RoutineLoadManager {
    /// Every job with error logs, stopped ones included.
    package func errorLogs() -> [JobErrorLogs] {
        allJobs.compactMap { runtime in
            let d = runtime.definition
            return d.errorLogNames.isEmpty
                ? nil : JobErrorLogs(jobID: d.id, database: d.database, name: d.name, files: d.errorLogNames)
        }
    }

    /// Every job not yet final, for `/metrics`.
    package func health() -> [JobHealth] {
        allJobs.compactMap { runtime in
            let (d, aborted, latest, source) = runtime.state.withLock {
                ($0.definition, $0.abortedTasks, $0.latest, $0.source)
            }
            guard !d.state.isFinal else { return nil }
            let progress = engine.sourceJob(id: runtime.id)
            var lag = [Int32: Int64]()
            for (partition, end) in latest {
                if let next = progress?.position[partition] { lag[partition] = max(0, end - next) }
            }
            let manual = d.reason?.code == ErrorReason.manualPause
            return JobHealth(
                database: d.database, name: d.name, state: d.state, pausedByError: d.state == .paused && !manual,
                lag: lag,
                counters: progress?.counters ?? SourceCounters(), abortedTasks: aborted,
                sourceUp: sourceOutage(runtime) == nil, lastFetchMilliseconds: source.lastFetch)
        }
    }
}
