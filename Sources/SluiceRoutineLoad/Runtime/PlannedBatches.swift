import Foundation
import SluiceLoad
import SluiceStorage
import SluiceTxn

/// Settles the batches a crash left planned (intents in the journal) before new batches form:
/// a PREPARED one is committed; any other is read again, exactly over its planned ranges and
/// under the same label, and loaded. Nothing planned was committed (a commit removes its intent
/// in the same record), so neither path can load an offset twice.
struct PlannedBatches {
    let runner: JobRunner
    let source: any MessageSource

    func settle() throws {
        let runtime = runner.runtime
        let manager = runner.manager
        guard let job = manager.engine.sourceJob(id: runtime.id) else { return }
        let definition = runtime.definition
        for (label, ranges) in job.intents.sorted(by: { $0.key < $1.key }) {
            guard !runner.isStopping else { return }
            if let prepared = try? manager.service.transactions.preparedTransaction(
                database: definition.database, label: label)
            {
                if case .stopped? = runner.commitPrepared(prepared) { return }
                continue
            }
            try replay(label: label, ranges: ranges, job: job)
        }
    }

    /// Reads `ranges` again and loads them; gives the intent up if the range cannot be read
    /// completely within the task timeout (it was never committed, so dropping it is safe).
    private func replay(label: String, ranges: [Int32: OffsetRange], job: SourceJob) throws {
        let definition = runner.runtime.definition
        let properties = definition.properties
        var builder = BatchBuilder(
            starts: [:], committed: job.committed, skipCommitted: !properties.reloadCommittedOffsets,
            framing: try definition.messageFraming(),
            limits: BatchLimits(rows: Int.max, bytes: Int.max, interval: .seconds(1_000_000)), plan: ranges)
        try source.assign(ranges.mapValues(\.first))
        let deadline = ContinuousClock.now + .seconds(properties.taskTimeoutSecond)
        while builder.closeReason == nil {
            guard !runner.isStopping else { return }
            guard ContinuousClock.now < deadline else {
                runner.abandon(label)
                return
            }
            let polled = try source.poll(
                maxMessages: 10_000, timeoutMilliseconds: runner.manager.options.pollMilliseconds)
            if polled.count > 0 { _ = builder.add(polled, now: .now) } else { _ = builder.check(now: .now) }
        }
        if builder.ranges != ranges {
            runner.abandon(label)
            return
        }
        switch runner.load(builder, task: 0) {
        case .committed, .stopped: return
        case .retry(let message): throw SourceError(.transient, "replay of \(label) failed: \(message)")
        }
    }
}
