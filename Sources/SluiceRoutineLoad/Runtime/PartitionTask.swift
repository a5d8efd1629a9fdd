import Foundation
import SluiceStorage

/// One task of a running job: owns a fixed set of partitions and a consumer, forms batches and
/// loads them one after another on its dedicated thread.
struct PartitionTask: Sendable {
    let runner: JobRunner
    let index: Int
    let partitions: [Int32]

    func run() {
        let manager = runner.manager
        let runtime = runner.runtime
        var source: (any MessageSource)?
        var assigned = false
        var backoff = runner.backoff
        // How long loading a batch takes (moving average): a time-closed batch closes this much
        // before max_batch_interval so its rows are visible about when the interval ends.
        var loadEstimate = Duration.zero
        while !runner.isStopping {
            do {
                let definition = runtime.definition
                let properties = definition.properties
                if source == nil {
                    source = try manager.factory.makeSource(
                        brokers: properties.brokerList, topic: properties.topic, groupID: definition.groupID,
                        settings: properties.clientProperties)
                    assigned = false
                }
                guard let source, let job = manager.engine.sourceJob(id: runtime.id) else { return }
                var starts = [Int32: Int64]()
                for p in partitions { starts[p] = job.position[p] ?? 0 }
                if !assigned {
                    try source.assign(starts)
                    assigned = true
                }
                manager.taskScheduled(runtime, task: index, positions: starts)
                let interval = manager.options.batchIntervalOverride ?? .seconds(properties.maxBatchInterval)
                let limits = BatchLimits(
                    rows: properties.maxBatchRows, bytes: Int(min(properties.maxBatchSize, Int64(Int.max))),
                    interval: max(interval / 2, interval - loadEstimate))
                var batch = BatchBuilder(
                    starts: starts, committed: job.committed, skipCommitted: !properties.reloadCommittedOffsets,
                    delimiter: try definition.messageDelimiter(), limits: limits)
                let idleSince = ContinuousClock.now
                var idleNoted = false
                while batch.closeReason == nil, !runner.isStopping {
                    let wanted = min(10_000, batch.remainingRows)
                    let polled = try source.poll(
                        maxMessages: wanted, timeoutMilliseconds: manager.options.pollMilliseconds)
                    if polled.count > 0 {
                        _ = batch.add(
                            polled, now: .now, wallClockMilliseconds: manager.options.nowMilliseconds(),
                            drained: polled.count < wanted)
                    } else {
                        _ = batch.check(now: .now)
                    }
                    if batch.isEmpty, !idleNoted, ContinuousClock.now - idleSince >= limits.interval {
                        idleNoted = true
                        manager.taskIdle(runtime, task: index, interval: properties.maxBatchInterval)
                    }
                }
                var latest = [Int32: Int64]()
                for p in partitions { latest[p] = source.cachedHighWatermark(partition: p) }
                manager.observe(runtime, latest: latest.compactMapValues { $0 })
                guard let reason = batch.closeReason, !runner.isStopping else { return }
                manager.taskClosed(runtime, task: index, reason: reason)
                manager.options.faultPoint("routine_load.after_consume")
                let loadStart = ContinuousClock.now
                switch runner.load(batch, task: index) {
                case .committed:
                    backoff.reset()
                    loadEstimate = loadEstimate * 0.7 + (ContinuousClock.now - loadStart) * 0.3
                case .retry(let message):
                    manager.taskRetry(runtime, task: index, reason: message)
                    assigned = false
                    runner.pause(&backoff)
                case .stopped:
                    return
                }
            } catch let error as SourceError {
                switch error.kind {
                case .transient:
                    manager.taskRetry(runtime, task: index, reason: error.message)
                    assigned = false
                    runner.pause(&backoff)
                case .offsetOutOfRange(let partition):
                    guard let source, handleGap(partition: partition, source: source, error: error) else { return }
                    assigned = false
                case .permanent:
                    manager.fail(
                        runtime,
                        ErrorReason(
                            ErrorReason.tasksAbort,
                            "be \(manager.options.backendID) abort task with reason: \(error.message)"))
                    return
                }
            } catch {
                manager.taskRetry(runtime, task: index, reason: "\(error)")
                assigned = false
                runner.pause(&backoff)
            }
        }
    }

    /// The broker deleted offsets the job has not read. By default the job pauses with a
    /// data-loss reason; with `"offset_out_of_range_policy"="skip"` the gap is recorded and
    /// reading continues at the earliest available offset. Returns whether to continue.
    private func handleGap(partition: Int32, source: any MessageSource, error: SourceError) -> Bool {
        let manager = runner.manager
        let runtime = runner.runtime
        let position = manager.engine.sourceJob(id: runtime.id)?.position[partition] ?? 0
        let low = (try? source.watermarks(partition: partition).low)
        guard runtime.definition.properties.skipOutOfRangeOffsets, let low, low > position else {
            let earliest = low.map { " (earliest available offset \($0))" } ?? ""
            manager.fail(
                runtime,
                ErrorReason(
                    ErrorReason.tasksAbort,
                    "be \(manager.options.backendID) abort task with reason: Offset out of range: partition \(partition) offset \(position) is no longer in Kafka\(earliest); unread messages were deleted (data loss). ALTER the job's kafka_offsets or set offset_out_of_range_policy=skip, then RESUME"
                ))
            return false
        }
        do {
            try manager.recordGap(runtime, partition: partition, from: position, to: low - 1)
            try manager.engine.setSourcePosition(id: runtime.id, position: [partition: low])
            return true
        } catch {
            manager.taskRetry(runtime, task: index, reason: "\(error)")
            runner.pause(manager.options.maxBackoff)
            return true
        }
    }
}
