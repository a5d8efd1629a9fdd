import Foundation
import SluiceStorage

/// One task of a running job: owns a fixed set of partitions and a consumer, forms batches and
/// loads them one after another on its dedicated thread.
struct PartitionTask: Sendable {
    let runner: JobRunner
    let index: Int
    let partitions: [Int32]

    /// Drives a ``TaskLoop``: performs each action it asks for and reports what happened.
    func run() {
        var loop = TaskLoop(backoff: runner.backoff)
        var action = loop.start
        var source: (any MessageSource)?
        var batch: BatchBuilder?
        var probes = ProbeSchedule(
            partitions: partitions, every: runner.manager.options.sourceGraceMilliseconds / 3,
            now: runner.manager.options.nowMilliseconds())
        while !runner.isStopping {
            switch action {
            case .formBatch(let reassign):
                do {
                    let current = try source ?? makeSource()
                    source = current
                    batch = try form(
                        current, reassign: reassign, loadEstimate: loop.loadEstimate, probes: &probes)
                    action = loop.handle(batch == nil ? .stopped : .batchClosed)
                } catch {
                    action = loop.handle(event(for: error, source: source))
                }
            case .loadBatch:
                guard let closed = batch else { return }
                runner.manager.options.faultPoint("routine_load.after_consume")
                let started = ContinuousClock.now
                switch runner.load(closed, task: index) {
                case .committed:
                    action = loop.handle(.committed(took: ContinuousClock.now - started))
                case .retry(let message):
                    runner.manager.taskRetry(runner.runtime, task: index, reason: message)
                    action = loop.handle(.retry)
                case .stopped:
                    action = loop.handle(.stopped)
                }
            case .wait(let duration):
                runner.pause(duration)
                action = loop.handle(.waited)
            case .stop:
                return
            }
        }
    }

    private func makeSource() throws -> any MessageSource {
        let definition = runner.runtime.definition
        let properties = definition.properties
        return try runner.manager.factory.makeSource(
            brokers: properties.brokerList, topic: properties.topic, groupID: definition.groupID,
            settings: try runner.manager.runtimeSettings(definition))
    }

    /// Polls until a batch closes; nil when the job is gone or the runner stops. With
    /// `reassign`, first points the consumer at the committed positions.
    /// - Parameter probes: the task's probe schedule, kept across batches.
    private func form(
        _ source: any MessageSource, reassign: Bool, loadEstimate: Duration, probes: inout ProbeSchedule
    ) throws -> BatchBuilder? {
        let manager = runner.manager
        let runtime = runner.runtime
        let definition = runtime.definition
        let properties = definition.properties
        guard let job = manager.engine.sourceJob(id: runtime.id) else { return nil }
        var starts = [Int32: Int64]()
        for p in partitions { starts[p] = job.position[p] ?? 0 }
        if reassign { try source.assign(starts) }
        manager.taskScheduled(runtime, task: index, positions: starts)
        let interval = manager.options.batchIntervalOverride ?? .seconds(properties.maxBatchInterval)
        let limits = BatchLimits(
            rows: properties.maxBatchRows, bytes: Int(min(properties.maxBatchSize, Int64(Int.max))),
            interval: max(interval / 2, interval - loadEstimate))
        var batch = BatchBuilder(
            starts: starts, committed: job.committed, skipCommitted: !properties.reloadCommittedOffsets,
            framing: try definition.messageFraming(), limits: limits)
        let idleSince = ContinuousClock.now
        var idleNoted = false
        while batch.closeReason == nil, !runner.isStopping {
            let wanted = min(10_000, batch.remainingRows)
            let polled = try source.poll(maxMessages: wanted, timeoutMilliseconds: manager.options.pollMilliseconds)
            let now = manager.options.nowMilliseconds()
            if polled.count > 0 {
                _ = batch.add(polled, now: .now, wallClockMilliseconds: now, drained: polled.count < wanted)
                let answered = Set(polled.partitions)
                probes.answered(answered, at: now)
                manager.sourceReached(runtime, partitions: Array(answered))
            } else {
                _ = batch.check(now: .now)
            }
            if let partition = probes.due(at: now) {
                // A quiet partition: ask its broker, briefly, whether it is there at all. A failed
                // probe is noted, never fatal (the batch may hold other partitions' messages).
                probes.answered([partition], at: now)
                do {
                    try source.probe(partition: partition, timeoutMilliseconds: 1000)
                    manager.sourceReached(runtime, partitions: [partition])
                } catch {
                    manager.sourceFailed(runtime, message: "\(error)")
                }
            }
            if batch.isEmpty, !idleNoted, ContinuousClock.now - idleSince >= limits.interval {
                idleNoted = true
                manager.taskIdle(runtime, task: index, interval: properties.maxBatchInterval, partitions: partitions)
            }
        }
        var latest = [Int32: Int64]()
        for p in partitions { latest[p] = source.cachedHighWatermark(partition: p) }
        manager.observe(runtime, latest: latest.compactMapValues { $0 })
        guard let reason = batch.closeReason, !runner.isStopping else { return nil }
        manager.taskClosed(runtime, task: index, reason: reason)
        return batch
    }

    /// What a failure while forming a batch means for the loop (reporting it on the way).
    private func event(for error: any Error, source: (any MessageSource)?) -> TaskLoop.Event {
        let manager = runner.manager
        let runtime = runner.runtime
        guard let error = error as? SourceError else {
            manager.taskRetry(runtime, task: index, reason: "\(error)")
            return .retry
        }
        switch error.kind {
        case .transient:
            manager.sourceFailed(runtime, message: error.message)
            manager.taskRetry(runtime, task: index, reason: error.message)
            return .retry
        case .offsetOutOfRange(let partition):
            guard let source, handleGap(partition: partition, source: source, error: error) else { return .stopped }
            return .gapSkipped
        case .permanent, .configuration, .authentication:
            manager.fail(
                runtime,
                ErrorReason(
                    ErrorReason.tasksAbort, "be \(manager.options.backendID) abort task with reason: \(error.message)"))
            return .stopped
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
