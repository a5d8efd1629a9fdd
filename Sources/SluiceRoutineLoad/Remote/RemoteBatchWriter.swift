import SluiceLoad
package import SluiceStorage

/// How a remote job's batches reach the sink and where its partitions resume: Sluice's fenced
/// source commits (tier 1, ``RemoteBatchWriter``) or only the documented StarRocks interface
/// (tiers 2/3, ``StandardBatchWriter``).
package protocol RemoteCommitter: Sendable {
    var sink: any TransactionSink { get }
    func write(_ batch: RemoteBatchWriter.Batch) -> RemoteWriteOutcome
    /// The next offset the sink holds for each of `partitions` (absent: never committed).
    func nextOffsets(of partitions: [Int32]) throws(SinkError) -> [Int32: Int64]
    /// This committer with every sink call cut off at `deadline`.
    func bounded(by deadline: ContinuousClock.Instant) -> any RemoteCommitter
    /// Lingering transactions this committer rolled back on its way (the standard tier meets
    /// them at `begin`; tier 1 settles them at assignment instead).
    var rolledBackLingering: Int { get }
}

extension RemoteCommitter {
    package var rolledBackLingering: Int { 0 }
}

/// How writing one remote batch ended.
package enum RemoteWriteOutcome: Sendable, Equatable {
    /// The batch is committed (now, or by an earlier attempt whose answer was lost), except the
    /// `held` partitions: their messages loaded no row, so the sink has nothing that records
    /// their offsets (standard tier); they are read again with the next batch.
    case committed(held: Set<Int32> = [])
    /// The sink's fence refused it: another writer committed past or over these offsets.
    case conflict(String)
    /// Too old to commit (`maxBatchAge`): rolled back, to be rebuilt from the sink's progress.
    case expired
    /// Not committed this time (sink down, busy, a transaction in the way): same label later.
    case retry(String)
    /// The sink refused the data or the job's settings (bad rows past the filter ratio, no
    /// such table, no privilege): retrying the same batch cannot help until someone acts.
    case failed(String)
}

/// One batch through the transaction interface (begin → load → prepare with its offsets →
/// commit) under a label that is a pure function of its ranges, so every retry — by this
/// daemon or another — meets the first attempt: a label already FINISHED means the batch is
/// committed; an open or PREPARED one is rolled back or committed.
package struct RemoteBatchWriter: RemoteCommitter {
    package let sink: any TransactionSink
    package let definition: JobDefinition
    package let settings: RemoteJobSettings

    package init(sink: any TransactionSink, definition: JobDefinition, settings: RemoteJobSettings) {
        self.sink = sink
        self.definition = definition
        self.settings = settings
    }

    /// The batch's pieces.
    package struct Batch: Sendable {
        package var ranges: [Int32: OffsetRange]
        package var timestamps: [Int32: Int64]
        package var body: [UInt8]
        /// When the batch took its first message (its age counts from here).
        package var startedAt: ContinuousClock.Instant
        package var owner: SourceOwner
        /// Each message's bytes in `body` and where it came from (how the standard tier splits
        /// the body by partition); empty when not needed.
        package var spans: [Range<Int>]
        package var origins: [(partition: Int32, offset: Int64)]

        package init(
            ranges: [Int32: OffsetRange], timestamps: [Int32: Int64], body: [UInt8], startedAt: ContinuousClock.Instant,
            owner: SourceOwner, spans: [Range<Int>] = [], origins: [(partition: Int32, offset: Int64)] = []
        ) {
            self.ranges = ranges
            self.timestamps = timestamps
            self.body = body
            self.startedAt = startedAt
            self.owner = owner
            self.spans = spans
            self.origins = origins
        }

        /// The body split by partition, each message followed by `delimiter`.
        package func bodies(delimiter: [UInt8]) -> [Int32: [UInt8]] {
            var result = [Int32: [UInt8]]()
            for (span, origin) in zip(spans, origins) {
                result[origin.partition, default: []].append(contentsOf: body[span])
                result[origin.partition, default: []].append(contentsOf: delimiter)
            }
            return result
        }
    }

    package func bounded(by deadline: ContinuousClock.Instant) -> any RemoteCommitter {
        RemoteBatchWriter(sink: sink.bounded(by: deadline), definition: definition, settings: settings)
    }

    package func nextOffsets(of partitions: [Int32]) throws(SinkError) -> [Int32: Int64] {
        let progress = try sink.progress(database: definition.database, job: definition.name)
        var result = [Int32: Int64]()
        for partition in partitions {
            if let next = progress.partitions[partition]?.nextOffset { result[partition] = next }
        }
        return result
    }

    package func write(_ batch: Batch) -> RemoteWriteOutcome {
        let label = definition.remoteLabel(batch.ranges)
        let db = definition.database
        do {
            let begun = try sink.begin(
                database: db, table: definition.table, label: label, timeoutSeconds: settings.transactionTimeoutSeconds)
            switch begun.status {
            case .ok: break
            case .labelAlreadyExists(let existing):
                return try settleTakenLabel(label, existing: existing, batch)
            case .busy, .inProcessing: return .retry("begin \(label): \(begun.message)")
            default: return .failed("begin \(label): \(begun.message)")
            }
            settings.faultPoint("remote_load.after_begin")
            let loaded = try sink.load(
                database: db, table: definition.table, label: label, headers: definition.remoteLoadHeaders,
                body: batch.body)
            guard loaded.status == .ok else {
                rollback(label)
                let message = "load \(label): \(loaded.message)"
                return loaded.status == .busy || loaded.status == .inProcessing ? .retry(message) : .failed(message)
            }
            settings.faultPoint("remote_load.after_load")
            let offsets = RemoteSourceBatch(
                job: definition.name, owner: batch.owner, ranges: batch.ranges, timestamps: batch.timestamps,
                skippedRows: 0)
            let prepared = try sink.prepare(
                database: db, label: label, preparedTimeoutSeconds: settings.preparedTimeoutSeconds, source: offsets)
            switch prepared.status {
            case .ok:
                if let received = prepared.loadBytes, received != Int64(batch.body.count) {
                    rollback(label)
                    return .retry(Self.foreignLoad(label, received: received, sent: batch.body.count))
                }
            case .sourceConflict: return .conflict(prepared.message)
            case .busy, .inProcessing, .transactionNotExists:
                rollback(label)
                return .retry("prepare \(label): \(prepared.message)")
            default:
                rollback(label)
                return .failed("prepare \(label): \(prepared.message)")
            }
            settings.faultPoint("remote_load.after_prepare")
            return try commit(label, batch)
        } catch {
            // Unreachable or unreadable sink: whatever is open under the label is rolled back if
            // the sink answers; the next attempt's begin tells what happened to it.
            if error.kind == .unavailable { rollback(label) }
            return error.kind == .unavailable ? .retry(error.message) : .failed(error.message)
        }
    }

    /// Commits the PREPARED batch unless it is too old.
    private func commit(_ label: String, _ batch: Batch) throws(SinkError) -> RemoteWriteOutcome {
        guard ContinuousClock.now - batch.startedAt < settings.maxBatchAge else {
            rollback(label)
            return .expired
        }
        let committed = try sink.commit(database: definition.database, label: label)
        settings.faultPoint("remote_load.after_commit")
        switch committed.status {
        case .ok: return .committed()
        case .sourceConflict: return .conflict(committed.message)
        default:
            // The commit may have happened (a retried request, a lost answer): the listing says.
            if try state(of: label) == .visible { return .committed() }
            return .retry("commit \(label): \(committed.message)")
        }
    }

    /// `begin` found the label taken: FINISHED means these exact ranges were committed before;
    /// a PREPARED transaction under it is this batch, committed now; an open one is rolled back.
    private func settleTakenLabel(_ label: String, existing: String, _ batch: Batch) throws(SinkError)
        -> RemoteWriteOutcome
    {
        if existing == "FINISHED" { return .committed() }
        switch try state(of: label) {
        case .visible: return .committed()
        case .prepared: return try commit(label, batch)
        case .prepare, nil:
            rollback(label)
            return .retry("label \(label) was held by an open transaction (rolled back)")
        }
    }

    /// A transaction that received more than this writer sent: a zombie's `load` under the same
    /// label landed in it (the interface names transactions by label alone).
    static func foreignLoad(_ label: String, received: Int64, sent: Int) -> String {
        "transaction \(label) received \(received) bytes but this daemon sent \(sent): another writer's load "
            + "landed in it; rolled back"
    }

    private func state(of label: String) throws(SinkError) -> SinkTransaction.State? {
        try sink.transactions(database: definition.database, labelPrefix: label).first { $0.label == label }?.state
    }

    /// Best effort: a rollback the sink cannot take now expires with the transaction's timeout.
    private func rollback(_ label: String) {
        _ = try? sink.rollback(database: definition.database, label: label)
    }
}
