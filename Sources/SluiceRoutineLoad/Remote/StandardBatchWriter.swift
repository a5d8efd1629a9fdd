import Foundation
import SluiceLoad
import SluiceStorage
import Synchronization

/// A remote batch through only the documented StarRocks interface (design/SCALE-OUT.md §3.4,
/// tiers 2/3), for sinks without fenced source commits (StarRocks, Doris, a Sluice node with
/// `load.source_commit_api=false`):
///
/// - **One partition per transaction**, labelled `<job>-<job hash>-<partition>-<start offset>`:
///   the label names one position in the partition's chain of batches, so label uniqueness is
///   the fence — of two writers starting at the same offset, one commits.
/// - **Progress in the rows**: every row carries its batch's partition and last offset in the
///   hidden columns `__sluice_partition` and `__sluice_offset` (constants in the `columns`
///   header), so the next offset of a partition is `max(__sluice_offset) + 1`, read over the
///   SQL API. A batch that loads no row records nothing: it is rolled back and read again.
/// - A transaction that received more bytes than this writer sent got another writer's `load`
///   (a zombie under the same label) and is rolled back.
package final class StandardBatchWriter: RemoteCommitter {
    package static let partitionColumn = "__sluice_partition"
    package static let offsetColumn = "__sluice_offset"

    package let sink: any TransactionSink
    package let definition: JobDefinition
    package let settings: RemoteJobSettings
    /// The table's data columns (without the hidden ones), read once from the sink.
    private let columns = Mutex<String?>(nil)
    /// Held chain labels rolled back (shared with ``bounded(by:)`` copies).
    private let rolledBack: RolledBack

    final class RolledBack: Sendable {
        let count = Atomic<Int>(0)
    }

    package var rolledBackLingering: Int { rolledBack.count.load(ordering: .relaxed) }

    package convenience init(
        sink: any TransactionSink, definition: JobDefinition, settings: RemoteJobSettings, columns: String? = nil
    ) {
        self.init(sink: sink, definition: definition, settings: settings, columns: columns, rolledBack: RolledBack())
    }

    private init(
        sink: any TransactionSink, definition: JobDefinition, settings: RemoteJobSettings, columns: String?,
        rolledBack: RolledBack
    ) {
        self.rolledBack = rolledBack
        self.sink = sink
        self.definition = definition
        self.settings = settings
        self.columns.withLock { $0 = columns }
    }

    package func bounded(by deadline: ContinuousClock.Instant) -> any RemoteCommitter {
        StandardBatchWriter(
            sink: sink.bounded(by: deadline), definition: definition, settings: settings,
            columns: columns.withLock { $0 }, rolledBack: rolledBack)
    }

    package func write(_ batch: RemoteBatchWriter.Batch) -> RemoteWriteOutcome {
        let bodies = batch.bodies(delimiter: (try? definition.messageDelimiter()) ?? [UInt8(ascii: "\n")])
        var held = Set<Int32>()
        do {
            for (partition, range) in batch.ranges.sorted(by: { $0.key < $1.key }) {
                switch try write(partition, range, bodies[partition] ?? [], startedAt: batch.startedAt) {
                case .committed: continue
                case .held: held.insert(partition)
                case .stopped(let outcome): return outcome
                }
            }
            return .committed(held: held)
        } catch {
            return error.kind == .unavailable ? .retry(error.message) : .failed(error.message)
        }
    }

    private enum PartitionOutcome {
        case committed
        /// Loaded no row: rolled back, to be read again (nothing would record its offsets).
        case held
        /// The batch stops here (conflict, retry, failure): partitions before it are committed
        /// and meet their FINISHED labels on the next attempt.
        case stopped(RemoteWriteOutcome)
    }

    private func write(_ partition: Int32, _ range: OffsetRange, _ body: [UInt8], startedAt: ContinuousClock.Instant)
        throws(SinkError) -> PartitionOutcome
    {
        let label = definition.standardLabel(partition: partition, start: range.first)
        let db = definition.database
        let headers = try loadHeaders(partition: partition, last: range.last)
        var cleared = 0
        var transactionID: Int64?
        while true {
            let begun = try sink.begin(
                database: db, table: definition.table, label: label, timeoutSeconds: settings.transactionTimeoutSeconds)
            switch begun.status {
            case .ok: transactionID = begun.transactionID
            case .labelAlreadyExists("FINISHED"):
                return try settleFinished(label, partition, range)
            case .labelAlreadyExists:
                // Open or PREPARED under this chain position (a crashed or paused writer): roll
                // it back — its offsets are read again by whoever wins the label.
                cleared += 1
                rollback(label)
                rolledBack.count.add(1, ordering: .relaxed)
                if cleared <= 3 { continue }
                return .stopped(.retry("label \(label) stays held by another writer"))
            case .busy, .inProcessing: return .stopped(.retry("begin \(label): \(begun.message)"))
            default: return .stopped(.failed("begin \(label): \(begun.message)"))
            }
            break
        }
        settings.faultPoint("remote_load.after_begin")
        let loaded = try sink.load(database: db, table: definition.table, label: label, headers: headers, body: body)
        guard loaded.status == .ok else {
            rollback(label)
            let message = "load \(label): \(loaded.message)"
            return .stopped(
                loaded.status == .busy || loaded.status == .inProcessing ? .retry(message) : .failed(message))
        }
        settings.faultPoint("remote_load.after_load")
        let prepared = try sink.prepare(
            database: db, label: label, preparedTimeoutSeconds: settings.preparedTimeoutSeconds, source: nil)
        switch prepared.status {
        case .ok: break
        case .busy, .inProcessing, .transactionNotExists:
            rollback(label)
            return .stopped(.retry("prepare \(label): \(prepared.message)"))
        default:
            rollback(label)
            return .stopped(.failed("prepare \(label): \(prepared.message)"))
        }
        if let id = prepared.transactionID, id > 0, let transactionID, id != transactionID {
            // Our transaction was rolled back and the label begun again by another writer.
            return .stopped(.retry("label \(label) now names another writer's transaction \(id)"))
        }
        if let received = prepared.loadBytes, received != Int64(body.count) {
            rollback(label)
            return .stopped(.retry(RemoteBatchWriter.foreignLoad(label, received: received, sent: body.count)))
        }
        if prepared.loadedRows == 0 {
            rollback(label)
            return .held
        }
        settings.faultPoint("remote_load.after_prepare")
        guard ContinuousClock.now - startedAt < settings.maxBatchAge else {
            rollback(label)
            return .stopped(.expired)
        }
        let committed = try sink.commit(database: db, label: label)
        settings.faultPoint("remote_load.after_commit")
        guard committed.status == .ok else {
            // The commit may have happened (a lost answer): the next attempt's begin finds the
            // label FINISHED and the progress says whose batch it was.
            return .stopped(.retry("commit \(label): \(committed.message)"))
        }
        if let id = committed.transactionID, id > 0, let transactionID, id != transactionID {
            // Paused between prepare and commit, this writer lost the label to another writer
            // and committed that one's PREPARED batch: a valid batch at this chain position,
            // but not these offsets — resume from the sink's progress.
            return .stopped(.conflict("label \(label) committed another writer's transaction \(id)"))
        }
        return .committed
    }

    /// `begin` found the chain position taken by a committed batch: this one (an answer that
    /// was lost, or another writer with the same offsets) if the partition now continues right
    /// after it; else another writer's batch, and this one is fenced.
    private func settleFinished(_ label: String, _ partition: Int32, _ range: OffsetRange) throws(SinkError)
        -> PartitionOutcome
    {
        let next = try nextOffsets(of: [partition])[partition]
        if next == range.last + 1 { return .committed }
        guard let next, next > range.first else {
            return .stopped(
                .failed(
                    "label \(label) is committed, but \(Self.offsetColumn) of \(definition.database).\(definition.table) "
                        + "shows partition \(partition) at \(next.map(String.init) ?? "no offset"): its rows were "
                        + "overwritten or deleted; the standard sink API needs a table whose rows keep "
                        + "\(Self.partitionColumn)/\(Self.offsetColumn) (DUPLICATE KEY)"))
        }
        return .stopped(
            .conflict(
                "another writer committed partition \(partition) from offset \(range.first) (label \(label)); "
                    + "the sink's next offset is \(next)"))
    }

    /// `max(__sluice_offset) + 1` per partition, over the sink's SQL API.
    package func nextOffsets(of partitions: [Int32]) throws(SinkError) -> [Int32: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let list = partitions.sorted().map(String.init).joined(separator: ", ")
        let sql =
            "SELECT \(Self.partitionColumn), max(\(Self.offsetColumn)) FROM \(Self.quoted(definition.table)) "
            + "WHERE \(Self.partitionColumn) IN (\(list)) GROUP BY \(Self.partitionColumn)"
        let rows: [[String?]]
        do {
            rows = try sink.query(database: definition.database, sql: sql)
        } catch  where error.kind == .permanent {
            throw SinkError(
                .permanent,
                "\(error.message); the standard sink API reads progress from \(Self.partitionColumn) and "
                    + "\(Self.offsetColumn) of \(definition.database).\(definition.table) (ALTER TABLE "
                    + "\(definition.table) ADD COLUMN \(Self.partitionColumn) INT, ADD COLUMN \(Self.offsetColumn) BIGINT, "
                    + "or create the table with them; the sink user needs SELECT on it)")
        }
        var result = [Int32: Int64]()
        for row in rows {
            guard row.count == 2, let partition = row[0].flatMap({ Int32($0) }),
                let last = row[1].flatMap({ Int64($0) })
            else { continue }
            result[partition] = last + 1
        }
        return result
    }

    /// The job's load headers with the hidden columns set to this batch's partition and last
    /// offset (constant for the whole transaction, as the interface requires).
    private func loadHeaders(partition: Int32, last: Int64) throws(SinkError) -> [(String, String)] {
        var headers = definition.remoteLoadHeaders.filter { $0.0 != "columns" }
        var base = definition.clauses.columns ?? ""
        if definition.clauses.columns == nil { base = try dataColumns() }
        headers.append(("columns", "\(base), \(Self.partitionColumn)=\(partition), \(Self.offsetColumn)=\(last)"))
        return headers
    }

    /// The target table's columns but the hidden ones, in order (what the body's fields are
    /// when the job maps no columns), from `information_schema.columns`.
    private func dataColumns() throws(SinkError) -> String {
        if let known = columns.withLock({ $0 }) { return known }
        let sql =
            "SELECT COLUMN_NAME FROM information_schema.columns WHERE TABLE_SCHEMA = '\(Self.escaped(definition.database))' "
            + "AND TABLE_NAME = '\(Self.escaped(definition.table))' ORDER BY ORDINAL_POSITION"
        let names = try sink.query(database: definition.database, sql: sql).compactMap { $0.first ?? nil }
        let hidden: Set<String> = [Self.partitionColumn, Self.offsetColumn]
        guard hidden.isSubset(of: Set(names)) else {
            throw SinkError(
                .permanent,
                "table \(definition.database).\(definition.table) on the sink has no \(Self.partitionColumn) and "
                    + "\(Self.offsetColumn) columns, which the standard sink API keeps progress in: ALTER TABLE "
                    + "\(definition.table) ADD COLUMN \(Self.partitionColumn) INT, ADD COLUMN \(Self.offsetColumn) BIGINT"
            )
        }
        let joined = names.filter { !hidden.contains($0) }.joined(separator: ", ")
        columns.withLock { $0 = joined }
        return joined
    }

    private static func quoted(_ name: String) -> String { "`\(name.replacingOccurrences(of: "`", with: "``"))`" }
    private static func escaped(_ text: String) -> String { text.replacingOccurrences(of: "'", with: "''") }

    /// Best effort: a rollback the sink cannot take now expires with the transaction's timeout.
    private func rollback(_ label: String) {
        _ = try? sink.rollback(database: definition.database, label: label)
    }
}
