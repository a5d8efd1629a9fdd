import SluiceIO

/// How a daemon runs its remote-sink jobs (design/SCALE-OUT.md §3.3).
package struct RemoteJobSettings: Sendable {
    /// This daemon's name, written into every batch it commits (the fence's diagnosis).
    package var daemon: String
    /// The sink as SHOW ROUTINE LOAD names it (URL, user and API; never the password).
    package var sinkName = ""
    /// Seconds since the epoch when the daemon started the job (SHOW's CreateTime).
    package var startTime: Int64 = 0
    /// The batch interval grows to members × this (the commit budget: about one commit per
    /// second per table however many daemons run).
    package var intervalPerMember: Duration = .seconds(1)
    /// How long a revoke may spend committing the batch in flight before rolling it back.
    package var revokeCommitDeadline: Duration = .seconds(5)
    /// A batch older than this (continuous clock: it counts while the process is stopped) is never
    /// committed: it is rolled back and rebuilt from the sink's progress.
    package var maxBatchAge: Duration = .seconds(120)
    /// `timeout` of `begin` and `prepared_timeout` of `prepare`, seconds: short, so a crashed
    /// daemon's leftovers expire soon even if no one adopts them.
    package var transactionTimeoutSeconds = 120
    package var preparedTimeoutSeconds = 300
    /// Consumer-group settings applied before the job's own `property.*`.
    package var groupSettings: [String: String] = [
        "session.timeout.ms": "10000", "heartbeat.interval.ms": "1000", "max.poll.interval.ms": "60000",
    ]
    /// Replaces `max_batch_interval` (`routine_load.test_batch_interval_ms`: tests and demos).
    package var batchIntervalOverride: Duration?
    package var minBackoff: Duration = .milliseconds(100)
    package var maxBackoff: Duration = .seconds(5)
    /// Marks a fault point (`remote_load.after_begin`, `…after_load`, `…after_prepare`,
    /// `…after_commit`); by default the process-wide ``FaultPoints`` (armed by `SLUICE_FAULTS`).
    package var faultPoint: @Sendable (String) -> Void = { try? FaultPoints.hit($0) }
    /// Waits between retries (tests inject one that does not sleep).
    package var wait: @Sendable (Duration) -> Void

    package init(daemon: String, wait: @escaping @Sendable (Duration) -> Void) {
        self.daemon = daemon
        self.wait = wait
    }
}
