import SluiceIO
package import SluiceLoad
import SluiceStorage

/// Settings of the Routine Load daemon (server configuration, tests).
package struct RoutineLoadOptions: Sendable {
    /// Memory budget of each batch's load.
    package var memoryLimit = 48 << 20
    /// Upper bound on a job's tasks (StarRocks' `max_routine_load_task_concurrent_num`).
    package var maxConcurrentTasks = 5
    /// Shown as `BeId` of running tasks.
    package var backendID: Int64 = 10_001
    /// How long one poll waits for messages; bounds how fast a task notices a stop.
    package var pollMilliseconds = 100
    /// Backoff after a transient fault doubles from `minBackoff` up to `maxBackoff`.
    package var minBackoff: Duration = .milliseconds(200)
    package var maxBackoff: Duration = .seconds(5)
    /// How long a job's Kafka brokers may stay silent (no messages, no answer to an offset probe)
    /// before the job reports its source as unreachable (`routine_load.source_grace_seconds`).
    package var sourceGraceMilliseconds: Int64 = 30_000
    /// Replaces every job's `max_batch_interval` (tests only: StarRocks' minimum is 5 s).
    package var batchIntervalOverride: Duration?
    /// Writer schemas of Avro jobs, one cache for the process; its fetch is the registry client
    /// the server wires in (the default only answers that there is none).
    package var avroSchemas = AvroSchemaCache { _, _ throws(AvroError) in
        throw AvroError(code: .registry, "Unable to load schema: no schema registry client in this process")
    }
    /// Consecutive batches of a job that may fail on the schema registry before it pauses (spec A.6).
    package var registryAttempts = 3
    /// Wall-clock seconds since the epoch (injected for tests).
    package var now: @Sendable () -> Int64 = { Int64(ContinuousClockEpoch.nowSeconds()) }
    /// Wall-clock milliseconds since the epoch (compared with Kafka message timestamps).
    package var nowMilliseconds: @Sendable () -> Int64 = { ContinuousClockEpoch.nowMicros() / 1000 }
    /// Fault points (tests and the chaos harness): called with a point's name; may crash the
    /// process. By default the process-wide ``FaultPoints`` (armed by `SLUICE_FAULTS`).
    package var faultPoint: @Sendable (String) -> Void = { try? FaultPoints.hit($0) }

    package init() {}
}
