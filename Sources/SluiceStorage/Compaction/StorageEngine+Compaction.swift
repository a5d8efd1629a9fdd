import SluiceFormat
import SluiceIO
import Synchronization

extension StorageEngine {
    /// Merges every rowset of a tablet into one sorted rowset, swapped in with one journal record.
    /// Query results do not change: the same rows, in key order.
    /// - Returns: whether a merge happened.
    @discardableResult
    package func compact(table snapshot: TableMeta, tabletID: Int64) throws -> Bool {
        // The tablet as of now, read with a lease: its input files cannot be deleted under this
        // compaction even if another one (background or back-pressure) swaps them out first.
        let (current, lease) = core.withLock { core in
            (core.meta.databases[snapshot.databaseID]?.tables[snapshot.id], readers.begin())
        }
        guard let snapshot = current,
            let tablet = snapshot.partitions.lazy.flatMap(\.tablets).first(where: { $0.id == tabletID }),
            tablet.rowsets.count > 1 || (snapshot.keysType.mergesOnWrite && tablet.hasDeadRows)
        else {
            delete(readers.end(lease))
            return false
        }
        if snapshot.keysType.mergesOnWrite {
            return try compactMergeOnWrite(snapshot: snapshot, tablet: tablet, lease: lease)
        }
        let inputs = tablet.rowsets
        let all = Array(snapshot.schema.columns.indices)
        let partition = snapshot.partitions.first { $0.tablets.contains { $0.id == tabletID } }!
        var single = snapshot
        single.partitions = [partition]
        single.partitions[0].tablets = [tablet]
        let scan = TableScan(
            engine: self, table: single, lease: lease, columns: all, predicates: [], rowsets: Set(inputs.map(\.id)))
        defer { scan.close() }
        var merged = snapshot.schema.columns.map { ColumnVector(type: $0.type) }
        var segments = [SegmentMeta]()
        let rowsetID = allocateID()
        func flush() throws {
            guard let rows = merged.first?.count, rows > 0 else { return }
            segments.append(
                try writeSegment(
                    tablet: tabletID, rowset: rowsetID, index: segments.count,
                    columnIDs: snapshot.schema.columns.map(\.id),
                    columns: merged, keys: snapshot.keyColumnIndices))
            merged = snapshot.schema.columns.map { ColumnVector(type: $0.type) }
        }
        while let batch = try scan.next() {
            for c in batch.indices { merged[c].append(contentsOf: batch[c]) }
            if (merged.first?.count ?? 0) >= options.segmentRows { try flush() }
        }
        try flush()
        if !segments.isEmpty { try syncRowsetDirectories(tablet: tabletID, rowset: rowsetID) }
        let output = RowsetMeta(
            id: rowsetID, startVersion: inputs.map(\.startVersion).min() ?? 0,
            endVersion: inputs.map(\.endVersion).max() ?? 0, segments: segments)
        do {
            try FaultPoints.hit("storage.before_compaction_swap")
        } catch {
            removeRowsetFiles(tablet: tabletID, rowset: rowsetID)
            throw StorageError(.io, "compaction of tablet \(tabletID) failed: \(error)", underlying: error)
        }
        let swapped = try write { core -> Bool in
            guard let current = core.meta.databases[snapshot.databaseID]?.tables[snapshot.id],
                let now = current.partitions.lazy.flatMap(\.tablets).first(where: { $0.id == tabletID }),
                Set(inputs.map(\.id)).isSubset(of: Set(now.rowsets.map(\.id)))
            else { return false }
            try journal(
                .compact(
                    databaseID: snapshot.databaseID, tableID: snapshot.id, tabletID: tabletID,
                    inputs: inputs.map(\.id), output: output),
                in: &core)
            return true
        }
        if !swapped {
            removeRowsetFiles(tablet: tabletID, rowset: rowsetID)
            return false
        }
        try? FaultPoints.hit("storage.after_compaction_swap")
        retire(inputs.map { directory.rowset(tablet: tabletID, rowset: $0.id) })
        return true
    }

    /// One compaction pass: merges every tablet with at least ``StorageOptions/compactionThreshold``
    /// rowsets. - Returns: the number of tablets merged.
    @discardableResult
    package func compactDueTablets() throws -> Int {
        let tables = core.withLock { core in core.meta.databases.values.flatMap { $0.tables.values } }
        var merged = 0
        for table in tables {
            for partition in table.partitions {
                for tablet in partition.tablets
                where tablet.rowsets.count >= options.compactionThreshold
                    || (table.keysType.mergesOnWrite && tablet.deadRowFraction >= options.deletedRowsCompactionRatio)
                {
                    let latest = try? self.table(database: databaseName(table.databaseID) ?? "", name: table.name)
                    if let latest, try compact(table: latest, tabletID: tablet.id) { merged += 1 }
                }
            }
        }
        return merged
    }

    func databaseName(_ id: Int64) -> String? {
        core.withLock { $0.meta.databases[id]?.name }
    }
}

extension TabletMeta {
    /// Whether a merge-on-write tablet holds rows no query sees (deleted rows, delete segments).
    var hasDeadRows: Bool {
        rowsets.contains { $0.segments.contains { $0.kind == .deletes || !$0.deleted.isEmpty } }
    }

    /// The share of a merge-on-write tablet's stored rows that are deleted or delete keys.
    var deadRowFraction: Double {
        var stored = 0
        var dead = 0
        for rowset in rowsets {
            for segment in rowset.segments {
                stored += segment.rowCount
                dead += segment.kind == .deletes ? segment.rowCount : segment.deleted.count
            }
        }
        return stored == 0 ? 0 : Double(dead) / Double(stored)
    }
}
