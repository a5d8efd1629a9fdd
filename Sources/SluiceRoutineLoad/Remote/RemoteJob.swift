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
    private let writer: any RemoteCommitter
    private let factory: any GroupSourceFactory
    package let settings: RemoteJobSettings
    private let logger: Logger
    private let status = Mutex(RemoteJobStatus())
    private let stopping = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    // Loop state: the job's thread only.
    private var source: (any GroupMessageSource)?
    /// Owned, seeded partitions → next offset to batch.
    private var positions: [Int32: Int64] = [:]
    /// Owned partitions whose start is not known yet (the sink did not answer at assignment).
    private var unseeded: Set<Int32> = []
    private var builder: BatchBuilder?
    /// Messages were consumed past `positions` and dropped: seek back before the next poll.
    private var needsReseek = false
    /// Re-seeks per partition after its messages did not continue where the batch expected.
    private var gapRetries: [Int32: Int] = [:]
    /// The group changed: ask its size again (the commit budget) before the next batch.
    private var groupChanged = true
    /// When unseeded partitions may ask the sink again (a failing progress read is retried
    /// with backoff, not on every poll).
    private var nextSeedAttempt = ContinuousClock.now
    private lazy var seedBackoff = Backoff(minimum: settings.minBackoff, maximum: settings.maxBackoff)
    private var members = 1

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

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

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

    private func newBuilder() -> BatchBuilder? {
        guard !positions.isEmpty, let delimiter = try? definition.messageDelimiter() else { return nil }
        let interval = currentInterval()
        return BatchBuilder(
            starts: positions, committed: [:], skipCommitted: false, delimiter: delimiter,
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

    /// Commits the batch in flight; on failure it is dropped and its partitions re-read.
    /// - Returns: whether nothing of it is left uncommitted.
    @discardableResult
    private func flush(deadline: ContinuousClock.Instant?) -> Bool {
        guard let batch = builder, batch.rows > 0, let source else {
            builder = nil
            return true
        }
        let owner = SourceOwner(daemon: settings.daemon, member: source.memberID)
        let perPartition = !writer.sink.fencesSourceBatches
        let pieces = RemoteBatchWriter.Batch(
            ranges: batch.ranges, timestamps: batch.timestamps, body: batch.body,
            startedAt: batch.firstTakenAt ?? .now, owner: owner, spans: perPartition ? batch.messageSpans : [],
            origins: perPartition ? batch.origins : [])
        var backoff = Backoff(minimum: settings.minBackoff, maximum: settings.maxBackoff)
        let writer = deadline.map { self.writer.bounded(by: $0) } ?? self.writer
        while true {
            let outcome = writer.write(pieces)
            if !writer.sink.fencesSourceBatches {
                update { $0.abortedLingering = writer.rolledBackLingering }
            }
            switch outcome {
            case .committed(let held):
                for (partition, range) in pieces.ranges where !held.contains(partition) {
                    positions[partition] = range.last + 1
                    gapRetries[partition] = nil
                }
                // Held partitions loaded no row: nothing recorded their offsets, read them again.
                if !held.isEmpty { needsReseek = true }
                builder = nil
                update { status in
                    status.committedBatches += 1
                    status.loadedRows += batch.rows
                    status.loadedBytes += batch.body.count
                    for (partition, next) in self.positions { status.owned[partition] = next }
                }
                return true
            case .conflict(let message):
                logger.notice("the sink fenced a batch; resuming from its progress", metadata: ["reason": "\(message)"])
                update { $0.fencingRejections += 1 }
                resumeFromSink()
                return false
            case .expired:
                logger.notice("a batch outlived max_batch_age; rebuilding it from the sink's progress")
                resumeFromSink()
                return false
            case .retry(let message), .failed(let message):
                update { $0.lastError = message }
                let pause = backoff.next()
                if isStopping && deadline == nil || deadline.map({ ContinuousClock.now + pause >= $0 }) == true {
                    builder = nil
                    needsReseek = true
                    return false
                }
                logger.warning("remote batch not committed; retrying", metadata: ["reason": "\(message)"])
                settings.wait(pause)
            }
        }
    }

    /// Reads the sink's progress for the owned partitions and reads from there on.
    private func resumeFromSink() {
        builder = nil
        guard let progress = try? writer.nextOffsets(of: Array(positions.keys)) else {
            needsReseek = true
            return
        }
        for (partition, next) in progress where positions[partition] != nil { positions[partition] = next }
        needsReseek = true
        update { status in for (partition, next) in self.positions { status.owned[partition] = next } }
    }

    /// Retries the sink's progress for partitions assigned while it did not answer.
    private func seedPending(_ source: any GroupMessageSource) {
        guard !unseeded.isEmpty, ContinuousClock.now >= nextSeedAttempt else { return }
        let partitions = Array(unseeded).sorted()
        guard let starts = startsOrNote(partitions) else {
            nextSeedAttempt = .now + seedBackoff.next()
            return
        }
        seedBackoff.reset()
        do {
            try source.seed(starts)
            unseeded.subtract(partitions)
            positions.merge(starts) { $1 }
            builder = nil
            update { status in for (partition, next) in starts { status.owned[partition] = next } }
        } catch {
            logger.warning("cannot seed partitions", metadata: ["error": "\(error)"])
        }
    }

    /// Where `partitions` start: the sink's next offset, else the job's default (first commit).
    /// Lingering PREPARED batches touching them are adopted or rolled back first.
    private func starts(of partitions: [Int32]) throws -> [Int32: Int64] {
        var progress = try writer.nextOffsets(of: partitions)
        // Tier 1 lists lingering batches with their offsets; the standard tier meets them at
        // `begin` (a held chain label is rolled back there).
        if writer.sink.fencesSourceBatches, try settleLingering(partitions, progress) {
            progress = try writer.nextOffsets(of: partitions)
        }
        var starts = [Int32: Int64]()
        for partition in partitions {
            if let next = progress[partition] {
                starts[partition] = next
            } else {
                starts[partition] = try defaultStart(partition)
            }
        }
        return starts
    }

    /// ``starts(of:)``, or nil with the reason in the status and the log (the sink is down, or
    /// refuses the progress read — e.g. a standard-API table without the progress columns).
    private func startsOrNote(_ partitions: [Int32]) -> [Int32: Int64]? {
        do {
            return try starts(of: partitions)
        } catch {
            update { $0.lastError = "cannot read where partitions \(partitions) start: \(error)" }
            logger.warning(
                "cannot read the sink's progress; retrying",
                metadata: ["partitions": "\(partitions)", "error": "\(error)"])
            return nil
        }
    }

    private func defaultStart(_ partition: Int32) throws -> Int64 {
        let offsets = definition.properties.partitions.map {
            Dictionary(uniqueKeysWithValues: zip($0, definition.properties.offsets ?? []))
        }
        let start = offsets?[partition] ?? definition.properties.defaultOffset
        switch start {
        case .offset(let offset): return offset
        case .beginning: return try source?.watermarks(partition: partition).low ?? 0
        case .end: return try source?.watermarks(partition: partition).high ?? 0
        }
    }

    /// PREPARED batches of the job that touch `partitions`: committed when every range starts
    /// at the sink's next offset (the fence still checks), else rolled back.
    /// - Returns: whether one was committed (progress moved).
    private func settleLingering(_ partitions: [Int32], _ progress: [Int32: Int64]) throws -> Bool {
        let mine = Set(partitions)
        var adopted = false
        for transaction in try writer.sink.transactions(
            database: definition.database, labelPrefix: definition.remoteLabelPrefix)
        where transaction.state == .prepared {
            guard let ranges = transaction.ranges, !mine.isDisjoint(with: ranges.keys) else { continue }
            let continues = ranges.allSatisfy { partition, range in
                progress[partition].map { $0 == range.first } ?? true
            }
            if continues,
                (try? writer.sink.commit(database: definition.database, label: transaction.label))?.status == .ok
            {
                adopted = true
                update { $0.adoptedLingering += 1 }
                logger.info("adopted a lingering batch", metadata: ["label": "\(transaction.label)"])
            } else {
                _ = try? writer.sink.rollback(database: definition.database, label: transaction.label)
                update { $0.abortedLingering += 1 }
                logger.info("rolled back a lingering batch", metadata: ["label": "\(transaction.label)"])
            }
        }
        return adopted
    }

    // MARK: Rebalances (on the job's thread, inside poll/close)

    package func assigned(_ partitions: [Int32]) -> [Int32: Int64] {
        // The batch in flight covers only the partitions owned before: commit it first.
        flush(deadline: ContinuousClock.now + settings.revokeCommitDeadline)
        builder = nil
        groupChanged = true
        update {
            $0.rebalances[.assigned, default: 0] += 1
            $0.memberID = source?.memberID ?? ""
        }
        logger.info("partitions assigned", metadata: ["partitions": "\(partitions)"])
        guard let starts = startsOrNote(partitions) else {
            unseeded.formUnion(partitions)
            update { status in for partition in partitions { status.owned[partition] = .some(nil) } }
            return [:]
        }
        positions.merge(starts) { $1 }
        update { status in for (partition, next) in starts { status.owned[partition] = next } }
        return starts
    }

    package func revoked(_ partitions: [Int32], lost: Bool) {
        let inFlight = (builder?.rows ?? 0) > 0
        if lost {
            // No handover: nothing may be committed; what was read past the positions is dropped.
            builder = nil
            needsReseek = true
            update {
                $0.rebalances[.lost, default: 0] += 1
                if inFlight { $0.revokes[.rolledBack, default: 0] += 1 }
            }
        } else {
            let committed = flush(deadline: ContinuousClock.now + settings.revokeCommitDeadline)
            update {
                $0.rebalances[.revoked, default: 0] += 1
                $0.revokes[inFlight ? (committed ? .committed : .rolledBack) : .empty, default: 0] += 1
            }
        }
        groupChanged = true
        logger.info("partitions revoked", metadata: ["partitions": "\(partitions)", "lost": "\(lost)"])
        for partition in partitions { positions[partition] = nil }
        unseeded.subtract(partitions)
        builder = nil
        update { status in for partition in partitions { status.owned[partition] = nil } }
    }

    private func update(_ change: (inout RemoteJobStatus) -> Void) { status.withLock { change(&$0) } }

    /// What SHOW ROUTINE LOAD and `/metrics` read.
    package var snapshot: RemoteJobStatus { status.withLock { $0 } }
}
