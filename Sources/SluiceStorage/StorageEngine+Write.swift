import Foundation
import SluiceFormat
import SluiceIO
import Synchronization

/// What a successful commit published.
package struct CommitInfo: Sendable, Hashable {
    package var transactionID: Int64
    package var version: Int64
}

extension StorageEngine {
    /// A writer for one load into `database.table`.
    package func makeWriter(database: String, table: String, options: WriteOptions = .init()) throws -> TableWriter {
        try TableWriter(engine: self, table: self.table(database: database, name: table), options: options)
    }

    /// Writes one sorted segment and fsyncs it.
    func writeSegment(
        tablet: Int64, rowset: Int64, index: Int, columnIDs: [Int], columns: [ColumnVector], keys: [Int]
    ) throws -> SegmentMeta {
        let permutation = sortPermutation(columns, keys: keys)
        let isSorted = permutation.indices.allSatisfy { permutation[$0] == $0 }
        let sorted = isSorted ? columns : columns.map { $0.gather(permutation) }
        let (bytes, footer) = SegmentWriter.encode(columnIDs: columnIDs, columns: sorted)
        let path = directory.segment(tablet: tablet, rowset: rowset, index: index)
        do {
            try FaultPoints.hit("storage.segment_write")
            try fileSystem.createDirectory(directory.rowset(tablet: tablet, rowset: rowset))
            let file = try fileSystem.createFile(path)
            try file.append(bytes)
            try file.sync()
            try file.close()
        } catch let error as IOError {
            let reason = error.code == .noSpace ? "disk is full" : "write failed"
            throw StorageError(.io, "\(reason) while writing segment \(path): \(error)", underlying: error)
        }
        footers.withLock { $0[path] = footer }
        return SegmentMeta(
            index: index, rowCount: footer.rowCount, byteCount: bytes.count, checksum: CRC32C.checksum(bytes))
    }

    /// Makes a rowset directory's entries and its parents' durable. The tablet directory's own
    /// entry needs syncing once per process (it only changes when the tablet is created), so
    /// later rowsets of the tablet skip that third `fsync`.
    func syncRowsetDirectories(tablet: Int64, rowset: Int64) throws {
        do {
            try fileSystem.syncDirectory(directory.rowset(tablet: tablet, rowset: rowset))
            try fileSystem.syncDirectory(directory.tablet(tablet))
            if !durableTablets.withLock({ $0.contains(tablet) }) {
                try fileSystem.syncDirectory(directory.tabletsDirectory)
                durableTablets.withLock { _ = $0.insert(tablet) }
            }
        } catch {
            throw StorageError(.io, "cannot sync rowset \(rowset) of tablet \(tablet): \(error)", underlying: error)
        }
    }

    /// Removes the files of a rowset that was never committed.
    package func removeRowsetFiles(tablet: Int64, rowset: Int64) {
        try? fileSystem.removeTree(directory.rowset(tablet: tablet, rowset: rowset))
    }

    /// Discards a prepared write that will not be committed.
    package func discard(_ write: PreparedWrite) {
        for (tablet, rowset) in write.rowsets { removeRowsetFiles(tablet: tablet, rowset: rowset.id) }
    }

    /// Publishes a prepared write as the table's next version, in one journal record together with
    /// its label and attachment.
    ///
    /// Back-pressure: a tablet holding ``StorageOptions/maxRowsetsPerTablet`` rowsets is compacted
    /// first, so version counts stay bounded however many small loads arrive.
    /// - Throws: `.alreadyExists` if the label is taken; `.unknownTable` if the table or a touched
    ///   partition was dropped meanwhile; `.io` if the journal cannot be written.
    @discardableResult
    package func commit(
        _ write: PreparedWrite, label: String, attachment: [UInt8]? = nil, source: SourceBatch? = nil,
        transactionID: Int64? = nil
    ) throws -> CommitInfo {
        try applyBackPressure(write)
        let transactionID = transactionID ?? allocateID()
        // Concurrent commits share one journal sync (GroupCommit).
        let key = GroupCommit.GroupState.labelKey(write.databaseID, label)
        let commit = GroupCommit.Commit(
            check: { [self] group, core in
                try checkLabelFree(core, databaseID: write.databaseID, label: label, except: nil)
                if group.labels.contains(key) {
                    throw StorageError(.alreadyExists, "Label [\(label)] has already been used.")
                }
                let table = try committableTable(
                    core, databaseID: write.databaseID, tableID: write.tableID, rowsets: write.rowsets)
                return table.keysType.mergesOnWrite ? (table, write.rowsets) : nil
            },
            append: { [self] group, core, applied in
                let record = try commitRecord(
                    core, databaseID: write.databaseID, tableID: write.tableID,
                    rowsets: applied?.rowsets ?? write.rowsets, deletes: applied?.deletes ?? [:],
                    label: label, attachment: attachment, source: source, transactionID: transactionID,
                    earlierVersions: group.versions[write.tableID] ?? 0, earlierRecords: group.records)
                do {
                    try core.journal.appendUnsynced(.commit(record))
                } catch {
                    throw StorageError(.io, "cannot write the metadata journal: \(error)", underlying: error)
                }
                group.versions[write.tableID, default: 0] += 1
                group.labels.insert(key)
                group.records.append(.commit(record))
                return CommitInfo(transactionID: transactionID, version: record.version)
            })
        return try groupCommit.run(in: self, commit)
    }

    /// Publishes several prepared writes of one transaction — into several tables, or several
    /// into one — in one journal record under `label`: all become visible, or none. Each write
    /// is its table's next version (a table written twice takes two). `attachment` goes with the
    /// first write's record.
    /// - Throws: as ``commit(_:label:attachment:source:transactionID:)``; nothing is published.
    @discardableResult
    package func commit(_ parts: [PreparedWrite], label: String, attachment: [UInt8]? = nil, transactionID: Int64)
        throws -> CommitInfo
    {
        precondition(!parts.isEmpty, "a commit needs a write")
        if parts.count == 1 {
            return try commit(parts[0], label: label, attachment: attachment, transactionID: transactionID)
        }
        precondition(Set(parts.map(\.databaseID)).count == 1, "one transaction writes one database")
        for part in parts { try applyBackPressure(part) }
        writes.lock()
        defer { writes.unlock() }
        let tables = try core.withLock { core -> [TableMeta] in
            guard !core.closed else { throw StorageError(.closed, "storage engine is closed") }
            try checkLabelFree(core, databaseID: parts[0].databaseID, label: label, except: nil)
            return try parts.map {
                try committableTable(core, databaseID: $0.databaseID, tableID: $0.tableID, rowsets: $0.rowsets)
            }
        }
        // Merge-on-write parts take effect in order; a later part into the same table sees an
        // earlier one's keys, as consecutive commits would.
        var touched = Set<Int64>()
        var applied = [MergeOnWriteApply?]()
        func undo() {
            for case let done? in applied { discardWritten(done) }
            invalidateIndexes(touched)
        }
        do {
            for (part, table) in zip(parts, tables) {
                applied.append(
                    table.keysType.mergesOnWrite
                        ? try applyMergeOnWrite(table: table, rowsets: part.rowsets, touched: &touched) : nil)
            }
        } catch {
            undo()
            throw error
        }
        let version: Int64
        do {
            version = try core.withLock { core in
                var records = [CommitRecord]()
                var earlier = [Int64: Int64]()
                for (k, part) in parts.enumerated() {
                    let record = try commitRecord(
                        core, databaseID: part.databaseID, tableID: part.tableID,
                        rowsets: applied[k]?.rowsets ?? part.rowsets, deletes: applied[k]?.deletes ?? [:],
                        label: label, attachment: k == 0 ? attachment : nil, source: nil,
                        transactionID: transactionID, earlierVersions: earlier[part.tableID] ?? 0)
                    earlier[part.tableID, default: 0] += 1
                    records.append(record)
                }
                try journal(.commitTables(records), in: &core)
                return records[0].version
            }
        } catch {
            undo()
            throw error
        }
        for case let done? in applied { removeReplaced(done) }
        try? writePendingCheckpoint()
        return CommitInfo(transactionID: transactionID, version: version)
    }

    /// Journals the commit of `rowsets` as the table's next version (the caller holds the lock).
    private func commitLocked(
        _ core: inout Core, databaseID: Int64, tableID: Int64, rowsets: [Int64: RowsetMeta],
        deletes: [Int64: [SegmentDeletes]], label: String, attachment: [UInt8]?, source: SourceBatch?,
        transactionID: Int64
    ) throws -> CommitInfo {
        let record = try commitRecord(
            core, databaseID: databaseID, tableID: tableID, rowsets: rowsets, deletes: deletes, label: label,
            attachment: attachment, source: source, transactionID: transactionID, earlierVersions: 0)
        try journal(.commit(record), in: &core)
        return CommitInfo(transactionID: transactionID, version: record.version)
    }

    /// The table a commit of `rowsets` goes into, if it and every touched tablet still exist.
    private func committableTable(
        _ core: borrowing Core, databaseID: Int64, tableID: Int64, rowsets: [Int64: RowsetMeta]
    )
        throws -> TableMeta
    {
        guard let table = core.meta.databases[databaseID]?.tables[tableID] else {
            throw StorageError(.unknownTable, "table was dropped before the load committed")
        }
        let tablets = Set(table.partitions.flatMap { $0.tablets.map(\.id) })
        for tablet in rowsets.keys where !tablets.contains(tablet) {
            throw StorageError(
                .unknownPartition, "a partition of the load was dropped or truncated before it committed")
        }
        return table
    }

    /// The commit record of `rowsets` as the table's next version, `earlierVersions` after the
    /// current one (commits of the same group before it). Validates that the table, its touched
    /// partitions and the source job still exist.
    private func commitRecord(
        _ core: borrowing Core, databaseID: Int64, tableID: Int64, rowsets: [Int64: RowsetMeta],
        deletes: [Int64: [SegmentDeletes]], label: String, attachment: [UInt8]?, source: SourceBatch?,
        transactionID: Int64, earlierVersions: Int64, earlierRecords: [JournalRecord] = []
    ) throws -> CommitRecord {
        let table = try committableTable(core, databaseID: databaseID, tableID: tableID, rowsets: rowsets)
        let version = table.version + 1 + earlierVersions
        var stamped = rowsets
        for key in stamped.keys {
            stamped[key]!.startVersion = version
            stamped[key]!.endVersion = version
        }
        if let source {
            guard var job = core.meta.jobs[source.jobID] else {
                throw StorageError(
                    .unknownJob, "routine load job \(source.jobID) was removed before its batch committed")
            }
            // The fence sees the batches of earlier members of this commit group as committed.
            for case .commit(let earlier) in earlierRecords {
                if let batch = earlier.source, batch.jobID == source.jobID { job.apply(batch, label: nil) }
            }
            if let refusal = job.fence(source) {
                fenceRefusals.add(1, ordering: .relaxed)
                throw refusal
            }
        }
        return CommitRecord(
            transactionID: transactionID, label: label, databaseID: databaseID, tableID: tableID,
            version: version, rowsets: stamped, deletes: deletes.isEmpty ? nil : deletes, attachment: attachment,
            source: source, commitTime: options.now())
    }

    /// Throws `.alreadyExists` if `label` is committed or held by another PREPARED transaction.
    private func checkLabelFree(_ core: borrowing Core, databaseID: Int64, label: String, except transactionID: Int64?)
        throws
    {
        if core.meta.labels[databaseID]?[label] != nil {
            throw StorageError(.alreadyExists, "Label [\(label)] has already been used.")
        }
        if let prepared = core.meta.preparedTransaction(databaseID: databaseID, label: label),
            prepared.transactionID != transactionID
        {
            throw StorageError(.alreadyExists, "Label [\(label)] has already been used.")
        }
    }

    // MARK: Two-phase commit

    /// Makes a write durable but invisible under `label` (2PC prepare): one journal record.
    /// - Parameter timeoutSeconds: the transaction is aborted if not committed by then.
    package func prepare(
        _ write: PreparedWrite, label: String, transactionID: Int64, attachment: [UInt8]? = nil,
        source: SourceBatch? = nil,
        timeoutSeconds: Int64
    ) throws -> PreparedTransaction {
        try self.write { core in
            guard core.meta.databases[write.databaseID]?.tables[write.tableID] != nil else {
                throw StorageError(.unknownTable, "table was dropped before the transaction prepared")
            }
            try checkLabelFree(core, databaseID: write.databaseID, label: label, except: nil)
            // A fenced batch that could not commit now is refused before it holds a label.
            if let source, let refusal = core.meta.jobs[source.jobID]?.fence(source) {
                fenceRefusals.add(1, ordering: .relaxed)
                throw refusal
            }
            let transaction = PreparedTransaction(
                transactionID: transactionID, label: label, databaseID: write.databaseID, tableID: write.tableID,
                rowsets: write.rowsets, attachment: attachment, source: source, preparedTime: options.now(),
                timeoutSeconds: timeoutSeconds,
                rowCount: write.rowCount, byteCount: write.byteCount)
            try journal(.prepare(transaction), in: &core)
            return transaction
        }
    }

    /// Publishes a PREPARED transaction: one commit record with its rowsets, label and attachment.
    /// - Throws: `.unknownTable`/`.unknownPartition` if its table or partitions are gone (the
    ///   transaction is then aborted); `.invalidData` if no such PREPARED transaction exists.
    @discardableResult
    package func commitPrepared(transactionID: Int64) throws -> CommitInfo {
        do {
            writes.lock()
            defer { writes.unlock() }
            let (transaction, table) = try core.withLock { core -> (PreparedTransaction, TableMeta) in
                guard !core.closed else { throw StorageError(.closed, "storage engine is closed") }
                guard let transaction = core.meta.prepared[transactionID] else {
                    throw StorageError(.invalidData, "transaction \(transactionID) is not PREPARED")
                }
                try checkLabelFree(
                    core, databaseID: transaction.databaseID, label: transaction.label, except: transactionID)
                let table = try committableTable(
                    core, databaseID: transaction.databaseID, tableID: transaction.tableID,
                    rowsets: transaction.rowsets)
                return (transaction, table)
            }
            // A prepared load's upserts and deletes take effect now, in commit order (not at prepare).
            var touched = Set<Int64>()
            let applied: MergeOnWriteApply
            do {
                applied = try applyMergeOnWrite(table: table, rowsets: transaction.rowsets, touched: &touched)
            } catch {
                invalidateIndexes(touched)
                throw error
            }
            let info: CommitInfo
            do {
                info = try core.withLock { core in
                    try commitLocked(
                        &core, databaseID: transaction.databaseID, tableID: transaction.tableID,
                        rowsets: applied.rowsets, deletes: applied.deletes, label: transaction.label,
                        attachment: transaction.attachment, source: transaction.source, transactionID: transactionID)
                }
            } catch {
                discardWritten(applied)
                invalidateIndexes(touched)
                throw error
            }
            removeReplaced(applied)
            try? writePendingCheckpoint()
            return info
        } catch let error as StorageError
            where [.unknownTable, .unknownPartition, .sourceRangeConflict, .sourceGap].contains(error.code)
        {
            // It can never commit: a fenced batch another writer overtook is rolled back too.
            try abortPrepared(transactionID: transactionID, reason: error.message)
            throw error
        }
    }

    /// Discards a PREPARED transaction (journaled), then removes its files.
    package func abortPrepared(transactionID: Int64, reason: String) throws {
        let rowsets = try write { core -> [Int64: RowsetMeta] in
            guard let transaction = core.meta.prepared[transactionID] else { return [:] }
            try journal(.abortPrepared(transactionID: transactionID, reason: reason), in: &core)
            return transaction.rowsets
        }
        for (tablet, rowset) in rowsets { removeRowsetFiles(tablet: tablet, rowset: rowset.id) }
    }

    /// Journals that a transaction which never prepared was aborted, so its state survives a
    /// restart. Best effort: an I/O failure only loses the remembered state, never data.
    package func recordAbort(databaseID: Int64, transactionID: Int64, label: String, reason: String) {
        let record = AbortedTransaction(
            databaseID: databaseID, transactionID: transactionID, label: label, reason: reason, abortTime: options.now()
        )
        try? write { core in
            guard core.meta.databases[databaseID] != nil else { return }
            try journal(.abortTransaction(record), in: &core)
        }
    }

    /// The remembered abort of `label`, if any.
    package func abortedTransaction(database: String, label: String) -> AbortedTransaction? {
        core.withLock { core in
            guard let db = core.meta.database(named: database) else { return nil }
            return core.meta.aborted[db.id]?[label]
        }
    }

    /// Every PREPARED transaction (after a restart too).
    package var preparedTransactions: [PreparedTransaction] {
        core.withLock { Array($0.meta.prepared.values) }.sorted { $0.transactionID < $1.transactionID }
    }

    /// The committed label's record, if the engine still remembers it.
    package func committedLabel(database: String, label: String) -> LabelEntry? {
        core.withLock { core in
            guard let db = core.meta.database(named: database) else { return nil }
            return core.meta.labels[db.id]?[label]
        }
    }

    private func applyBackPressure(_ write: PreparedWrite) throws {
        guard let table = core.withLock({ $0.meta.databases[write.databaseID]?.tables[write.tableID] }) else { return }
        for partition in table.partitions {
            for tablet in partition.tablets
            where write.rowsets[tablet.id] != nil && tablet.rowsets.count >= options.maxRowsetsPerTablet {
                try compact(table: table, tabletID: tablet.id)
            }
        }
    }
}

extension StorageEngine {
    /// A writer for one load into the table of `snapshot`.
    package func makeWriter(table snapshot: TableMeta, options: WriteOptions = .init()) throws -> TableWriter {
        try TableWriter(engine: self, table: snapshot, options: options)
    }
}

extension StorageEngine {
    /// Forgets committed labels older than ``StorageOptions/labelKeepSeconds``; their labels may be
    /// used again. (Not journaled: recovery applies the same rule when the engine opens.)
    package func expireLabels() {
        let cutoff = options.now() - options.labelKeepSeconds
        core.withLock { $0.meta.expireLabels(before: cutoff) }
    }
}
