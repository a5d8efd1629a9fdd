import Foundation
import SluiceLoad
import SluiceStorage
import SluiceTxn
import Synchronization

/// How loading one batch ended.
enum BatchOutcome {
    /// Committed (or already committed earlier): positions moved past the batch.
    case committed
    /// Nothing committed; retry from the same positions after a backoff.
    case retry(String)
    /// The job paused or was cancelled; the task ends.
    case stopped
}

extension JobRunner {
    /// Loads a closed batch exactly once: journal the intent (label + ranges), begin the
    /// transaction under the deterministic label, stream the body, prepare with the source
    /// ranges, commit. Data, ranges and statistics become visible in the one commit record.
    func load(_ batch: BatchBuilder, task: Int) -> BatchOutcome {
        let clock = ContinuousClock()
        let definition = runtime.definition
        let ranges = batch.ranges
        if batch.rows == 0 {
            return advance(past: batch, ranges: ranges)
        }
        let label = BatchLabel.make(
            jobName: definition.name, jobID: runtime.id, epoch: definition.reloadEpoch, ranges: ranges)
        let engine = manager.engine
        do {
            try engine.planSourceBatch(id: runtime.id, label: label, ranges: ranges)
        } catch {
            return .retry("cannot record the batch plan: \(error)")
        }
        manager.options.faultPoint("routine_load.after_plan")
        var options: LoadOptions
        do {
            options = try definition.loadOptions(
                memoryLimit: manager.options.memoryLimit, avroSchemas: manager.options.avroSchemas)
        } catch {
            abandon(label)
            manager.fail(runtime, ErrorReason(ErrorReason.internalError, "\(error)"))
            return .stopped
        }
        if let owner = definition.owner, let denial = manager.denial(for: owner, definition) {
            abandon(label)
            manager.fail(runtime, ErrorReason(ErrorReason.internalError, denial))
            return .stopped
        }
        options.nowMicros = manager.options.now() * 1_000_000
        options.describeOrigin = batch.originIndex(topic: definition.properties.topic)
        let running: RunningLoad
        switch manager.service.begin(
            database: definition.database, table: definition.table, label: label, options: options)
        {
        case .failure(let failure):
            if case .labelAlreadyExists = failure.result.status {
                return settleUsedLabel(label, ranges: ranges)
            }
            abandon(label)
            if failure.result.errorCode == .tableMissing {
                manager.cancel(runtime, ErrorReason(ErrorReason.tableMissing, "table not exist"))
                return .stopped
            }
            if failure.result.errorCode == .analysis || failure.result.errorCode == .invalidArgument {
                manager.fail(runtime, ErrorReason(ErrorReason.internalError, failure.result.message))
                return .stopped
            }
            return .retry(failure.result.message)
        case .success(let load):
            running = load
        }
        manager.taskStarted(runtime, task: task, transactionID: running.transaction.id)
        do {
            try batch.body.withUnsafeBytes { try running.consume($0) }
        } catch let error as LoadError where error.code == .schemaRegistry {
            _ = running.abort(error.message)
            abandon(label)
            return registryFailed(error.message)
        } catch {
            let result = running.abort("\(error)")
            abandon(label)
            return .retry(result.message)
        }
        manager.options.faultPoint("routine_load.after_write")
        var counters = SourceCounters()
        counters.skippedRows = Int64(batch.skipped)
        counters.committedTasks = 1
        let started = batch.firstMessageAt ?? clock.now
        counters.taskExecuteMilliseconds = Int64(max(1, LoadService.milliseconds(clock.now - started)))
        let source = SourceBatch(jobID: runtime.id, ranges: ranges, counters: counters, timestamps: batch.timestamps)
        let timeout = Int64(definition.properties.taskTimeoutSecond) * 10
        let result = running.finish(.prepare(timeoutSeconds: timeout, source: source))
        guard result.status == .success else {
            abandon(label)
            if result.errorCode == .schemaRegistry { return registryFailed(result.message) }
            manager.taskAborted(runtime, task: task, reason: result.message, errorLog: result.errorLogName)
            if result.errorCode == .tooManyFilteredRows {
                manager.fail(runtime, ErrorReason(ErrorReason.tooManyFailureRows, result.message))
                return .stopped
            }
            if result.errorCode == .tableMissing {
                manager.cancel(runtime, ErrorReason(ErrorReason.tableMissing, "table not exist"))
                return .stopped
            }
            return .retry(result.message)
        }
        manager.options.faultPoint("routine_load.after_prepare")
        guard let prepared = result.prepared else { preconditionFailure("a prepared load has a handle") }
        if let failure = commitPrepared(prepared) { return failure }
        manager.options.faultPoint("routine_load.after_commit")
        manager.taskCommitted(runtime, task: task, counters: result.counters, errorLog: result.errorLogName)
        return .committed
    }

    /// The schema registry could not name a message's schema: nothing of the batch was loaded and
    /// its offsets stay where they are. The batch is read again after a backoff; after
    /// `registryAttempts` such batches in a row the job pauses with the registry's answer.
    private func registryFailed(_ message: String) -> BatchOutcome {
        let failures = runtime.state.withLock { $0.registryFailed() }
        guard failures >= manager.options.registryAttempts else { return .retry(message) }
        manager.fail(runtime, ErrorReason(ErrorReason.tasksAbort, "serdes deserialize avro failed: \(message)"))
        return .stopped
    }

    /// Commits the PREPARED batch by its handle; if that fails it is rolled back so the batch can
    /// be retried (a second, different batch over the same offsets must never meet a
    /// still-PREPARED first one).
    func commitPrepared(_ prepared: PreparedTransaction) -> BatchOutcome? {
        let transactions = manager.service.transactions
        var lastError = ""
        for attempt in 0..<3 {
            do {
                try transactions.commitPrepared(prepared)
                return nil
            } catch let error as StorageError where error.code == .unknownTable || error.code == .unknownPartition {
                abandon(prepared.label)
                manager.cancel(runtime, ErrorReason(ErrorReason.tableMissing, "table not exist"))
                return .stopped
            } catch let error as StorageError where error.code == .invalidData {
                // No longer PREPARED: committed by an earlier attempt, or rolled back meanwhile
                // (its timeout passed) and then loaded again.
                let state = try? transactions.state(database: runtime.definition.database, label: prepared.label)
                if state?.transactionID == prepared.transactionID, state?.state == .visible { return nil }
                abandon(prepared.label)
                return .retry("transaction \(prepared.transactionID) is no longer PREPARED: \(error)")
            } catch {
                lastError = "\(error)"
                if attempt < 2 { pause(.milliseconds(50)) }
            }
        }
        do {
            try transactions.abortPrepared(prepared, reason: "commit failed: \(lastError)")
            abandon(prepared.label)
            return .retry("commit failed: \(lastError)")
        } catch {
            manager.fail(
                runtime,
                ErrorReason(
                    ErrorReason.internalError,
                    "commit of \(prepared.label) failed (\(lastError)) and so did its rollback: \(error)"))
            return .stopped
        }
    }

    /// The batch's label is taken: by an earlier commit of exactly these ranges (then every
    /// offset in them is loaded; move on) or by a load still running (retry later).
    private func settleUsedLabel(_ label: String, ranges: [Int32: OffsetRange]) -> BatchOutcome {
        let definition = runtime.definition
        let transactions = manager.service.transactions
        if let prepared = try? transactions.preparedTransaction(database: definition.database, label: label) {
            return commitPrepared(prepared) ?? .committed
        }
        let state = try? transactions.state(database: definition.database, label: label).state
        if state == .visible || state == .committed {
            var next = [Int32: Int64]()
            for (p, r) in ranges { next[p] = r.last + 1 }
            do {
                try manager.engine.setSourcePosition(id: runtime.id, position: next)
                abandon(label)
                return .committed
            } catch {
                return .retry("\(error)")
            }
        }
        abandon(label)
        return .retry("Label [\(label)] has already been used.")
    }

    /// Every message of the batch was committed before: journal the advance and the skipped count.
    private func advance(past batch: BatchBuilder, ranges: [Int32: OffsetRange]) -> BatchOutcome {
        var counters = SourceCounters()
        counters.skippedRows = Int64(batch.skipped)
        do {
            try manager.engine.advanceSourceJob(
                SourceBatch(jobID: runtime.id, ranges: ranges, counters: counters, timestamps: batch.timestamps))
            return .committed
        } catch {
            return .retry("\(error)")
        }
    }

    /// Drops the batch's intent (nothing of it committed).
    func abandon(_ label: String) {
        try? manager.engine.planSourceBatch(id: runtime.id, label: label, ranges: nil)
    }
}
