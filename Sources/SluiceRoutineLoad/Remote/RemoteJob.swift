import Foundation
package import Logging
import SluiceStorage
import Synchronization

/// One Routine Load job run by this daemon in remote-sink mode (design/SCALE-OUT.md §3.3):
/// a member of the job's consumer group that batches the partitions it owns and commits each
/// batch into the sink through ``RemoteBatchWriter``. Where a partition starts is the sink's
/// progress, read when it is assigned; lingering PREPARED batches of new partitions are
/// adopted (if they continue the progress) or rolled back; a revoke commits the batch in flight
/// within a deadline, a lost assignment drops it. The sink's fence keeps every offset once.
///
/// Owns one thread. Rebalance callbacks run on it (inside the consumer's poll), so the loop
/// state below is touched by that thread only; ``status`` is what others read.
package final class RemoteJob: GroupRebalanceHandler, @unchecked Sendable {
    package let definition: JobDefinition
    let writer: any RemoteCommitter
    private let factory: any GroupSourceFactory
    package let settings: RemoteJobSettings
    let logger: Logger
    let status = Mutex(RemoteJobStatus())
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    // Loop state: the job's thread only (this file and its extensions, RemoteJob+Commit.swift
    // and RemoteJob+Assignment.swift).
    var source: (any GroupMessageSource)?
    /// Owned, seeded partitions → next offset to batch.
    var positions: [Int32: Int64] = [:]
    /// Owned partitions whose start is not known yet (the sink did not answer at assignment).
    var unseeded: Set<Int32> = []
    var builder: BatchBuilder?
    /// Messages were consumed past `positions` and dropped: seek back before the next poll.
    var needsReseek = false
    /// Re-seeks per partition after its messages did not continue where the batch expected.
    var gapRetries: [Int32: Int] = [:]
    /// The group changed: ask its size again (the commit budget) before the next batch.
    var groupChanged = true
    /// When unseeded partitions may ask the sink again (a failing progress read is retried
    /// with backoff, not on every poll).
    var nextSeedAttempt = ContinuousClock.now
    lazy var seedBackoff = Backoff(minimum: settings.minBackoff, maximum: settings.maxBackoff)
    var members = 1

    package init(
        definition: JobDefinition, sink: any TransactionSink, factory: any GroupSourceFactory,
        settings: RemoteJobSettings, logger: Logger
    ) {
        self.definition = definition
        self.writer =
            sink.fencesSourceBatches
            ? RemoteBatchWriter(sink: sink, definition: definition, settings: settings)
            : StandardBatchWriter(sink: sink, definition: definition, settings: settings)
        self.factory = factory
        self.settings = settings
        var logger = logger
        logger[metadataKey: "job"] = "\(definition.database).\(definition.name)"
        self.logger = logger
    }

    /// The consumer group of the job: the same on every daemon.
    package var groupID: String {
        definition.properties.clientProperties["group.id"] ?? "sluice.\(definition.database).\(definition.name)"
    }

    package func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "remote-job-\(definition.name)"
        thread.start()
    }

    /// Stops consuming: the batch in flight is committed (a graceful leave, within the revoke
    /// deadline) and the group hears this member leave.
    package func stop() {
        stopping.store(true, ordering: .releasing)
        finished.wait()
    }

    var isStopping: Bool { stopping.load(ordering: .acquiring) }

    // MARK: Loop

    private func run() {
        var backoff = Backoff(minimum: settings.minBackoff, maximum: settings.maxBackoff)
        while !isStopping {
            do {
                var groupSettings = settings.groupSettings
                for (key, value) in definition.properties.clientProperties { groupSettings[key] = value }
                let source = try factory.makeGroupSource(
                    brokers: definition.properties.brokerList, topic: definition.properties.topic, groupID: groupID,
                    settings: groupSettings)
                self.source = source
                try source.subscribe(self)
                update { $0.state = "RUNNING" }
                try consume(source)
                source.close()
                self.source = nil
                backoff.reset()
            } catch {
                source?.close()
                source = nil
                update {
                    $0.lastError = "\(error)"
                    $0.owned = [:]
                }
                logger.warning("remote job consumer failed; retrying", metadata: ["error": "\(error)"])
                positions = [:]
                unseeded = []
                builder = nil
                settings.wait(backoff.next())
            }
        }
        update { $0.state = "STOPPED" }
    }

    private func consume(_ source: any GroupMessageSource) throws {
        while !isStopping {
            seedPending(source)
            if groupChanged {
                groupChanged = false
                members = committers(source)
                if (builder?.rows ?? 0) == 0 { builder = nil }
            }
            if needsReseek {
                needsReseek = false
                builder = nil
                try source.seek(positions)
            }
            if builder == nil { builder = newBuilder() }
            let wanted = builder?.remainingRows ?? 1000
            let polled = try source.poll(maxMessages: min(wanted, 10_000), timeoutMilliseconds: 100)
            let now = ContinuousClock.now
            // A rebalance inside the poll dropped the builder: the new one covers the new
            // positions, so messages of just-assigned partitions are not lost.
            if builder == nil || needsReseek {
                if needsReseek { continue }
                builder = newBuilder()
            }
            if let batch = builder, let gap = firstGap(polled, batch) {
                // A batch's range runs from its start to its last message: a message past the
                // expected next offset would claim offsets never read. Read them again (three
                // times; a gap that stays is Kafka's own — compaction, transaction markers).
                gapRetries[gap.partition, default: 0] += 1
                if gapRetries[gap.partition, default: 0] <= 3 {
                    logger.warning(
                        "messages did not continue where the batch expected; reading again",
                        metadata: [
                            "partition": "\(gap.partition)", "expected": "\(gap.expected)", "got": "\(gap.got)",
                        ])
                    builder = nil
                    needsReseek = true
                    continue
                }
            }
            let closed: BatchCloseReason?
            if polled.count > 0, builder != nil {
                closed = builder?.add(
                    polled, now: now, wallClockMilliseconds: Int64(Date().timeIntervalSince1970 * 1000),
                    drained: polled.count < wanted)
            } else {
                closed = builder?.check(now: now)
            }
            if closed != nil { flush(deadline: nil) }
        }
        // A graceful stop: close() revokes every partition, which commits the batch in flight.
    }

    /// The first partition whose polled messages skip past the offset the batch expects next
    /// (messages before it are repeats the batch ignores).
    private func firstGap(_ polled: MessageBatch, _ batch: BatchBuilder) -> (
        partition: Int32, expected: Int64, got: Int64
    )? {
        var expected = [Int32: Int64]()
        for i in 0..<polled.count {
            let partition = polled.partitions[i]
            guard let start = batch.starts[partition] else { continue }
            let next = expected[partition] ?? batch.last[partition].map { $0 + 1 } ?? start
            let offset = polled.offsets[i]
            if offset > next { return (partition, next, offset) }
            expected[partition] = max(next, offset + 1)
        }
        return nil
    }

    func newBuilder() -> BatchBuilder? {
        guard !positions.isEmpty, let framing = try? definition.messageFraming() else { return nil }
        let interval = currentInterval()
        return BatchBuilder(
            starts: positions, committed: [:], skipCommitted: false, framing: framing,
            limits: BatchLimits(
                rows: definition.properties.maxBatchRows, bytes: Int(definition.properties.maxBatchSize),
                interval: interval))
    }

    /// How many daemons commit into the job's table: the group's size as its coordinator tells,
    /// else estimated from the share of partitions this daemon owns (balanced assignment).
    private func committers(_ source: any GroupMessageSource) -> Int {
        if let size = source.groupSize() { return max(1, size) }
        let owned = positions.count + unseeded.count
        guard owned > 0, let total = try? source.partitions().count, total > 0 else { return members }
        return max(1, (total + owned - 1) / owned)
    }

    /// The batch interval: the job's, grown with the group to members × `intervalPerMember`
    /// (the commit budget: however many daemons run, about one commit per interval per table).
    private func currentInterval() -> Duration {
        let configured = max(
            settings.batchIntervalOverride ?? .seconds(definition.properties.maxBatchInterval),
            settings.intervalPerMember * members)
        let milliseconds =
            configured.components.seconds * 1000 + configured.components.attoseconds / 1_000_000_000_000_000
        let members = self.members
        update {
            $0.batchIntervalMilliseconds = Int(milliseconds)
            $0.groupMembers = members
        }
        return configured
    }

    func update(_ change: (inout RemoteJobStatus) -> Void) { status.withLock { change(&$0) } }

    /// What SHOW ROUTINE LOAD and `/metrics` read.
    package var snapshot: RemoteJobStatus { status.withLock { $0 } }
}
