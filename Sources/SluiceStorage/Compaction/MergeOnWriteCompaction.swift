import Foundation
import SluiceFormat
import SluiceIO
import Synchronization

extension StorageEngine {
    /// Compacts a merge-on-write tablet: its live rows (deleted ones dropped, delete segments
    /// dropped) rewritten as one rowset, then the index moved onto them — StarRocks'
    /// `try_replace`: an output row whose key a commit replaced or deleted while the merge ran is
    /// stale and goes into the output's delete vector instead.
    /// - Parameter lease: a read lease held since `snapshot` was read (released here).
    func compactMergeOnWrite(snapshot: TableMeta, tablet: TabletMeta, lease: Int) throws -> Bool {
        defer { delete(readers.end(lease)) }
        let inputs = tablet.rowsets
        let columns = snapshot.schema.columns
        let layout = PrimaryKeyLayout(table: snapshot)
        let sortKey = MergeOnWriteLayout(table: snapshot).sort
        let rowsetID = allocateID()
        var output = [SegmentMeta]()
        var keys = [PrimaryKeys]()
        /// Per output row, where it came from.
        var sources = [(SegmentAddress, UInt32)]()
        var pending = columns.map { ColumnVector(type: $0.type) }
        var pendingSources = [(SegmentAddress, UInt32)]()
        func flush() throws {
            let rows = pending.first?.count ?? 0
            guard rows > 0 else { return }
            let order = sortPermutation(pending, keys: sortKey)
            let sorted = pending.map { $0.gather(order) }
            output.append(
                try writeSegment(
                    tablet: tablet.id, rowset: rowsetID, index: output.count, columnIDs: columns.map(\.id),
                    columns: sorted, keys: []))
            keys.append(layout.encode(layout.columns.map { sorted[$0] }))
            sources.append(contentsOf: order.map { pendingSources[$0] })
            pending = columns.map { ColumnVector(type: $0.type) }
            pendingSources.removeAll(keepingCapacity: true)
        }
        do {
            for rowset in inputs {
                for segment in rowset.segments where segment.kind == .data && segment.liveRowCount > 0 {
                    let data = try readSegment(tablet: tablet.id, rowset: rowset.id, segment: segment, columns: columns)
                    let deleted = segment.deleted.mask(rowCount: segment.rowCount)
                    let live = (0..<segment.rowCount).filter { !deleted[$0] }
                    for c in columns.indices { pending[c].append(from: data[c], rows: live) }
                    let address = SegmentAddress(rowset: rowset.id, segment: segment.index)
                    pendingSources.append(contentsOf: live.map { (address, UInt32($0)) })
                    if (pending.first?.count ?? 0) >= options.segmentRows { try flush() }
                }
            }
            try flush()
            if !output.isEmpty { try syncRowsetDirectories(tablet: tablet.id, rowset: rowsetID) }
            try FaultPoints.hit("storage.before_compaction_swap")
        } catch {
            removeRowsetFiles(tablet: tablet.id, rowset: rowsetID)
            throw StorageError(.io, "compaction of tablet \(tablet.id) failed: \(error)", underlying: error)
        }
        let swapped = try swapMergeOnWrite(
            snapshot: snapshot, tabletID: tablet.id, inputs: inputs.map(\.id), rowsetID: rowsetID, output: output,
            keys: keys, sources: sources, layout: layout)
        guard swapped else {
            removeRowsetFiles(tablet: tablet.id, rowset: rowsetID)
            return false
        }
        try? FaultPoints.hit("storage.after_compaction_swap")
        retire(inputs.map { directory.rowset(tablet: tablet.id, rowset: $0.id) })
        return true
    }

    /// Moves index entries onto the output (under the writer lock, in commit order) and journals
    /// the swap; rows whose key moved on meanwhile are marked deleted in the output.
    private func swapMergeOnWrite(
        snapshot: TableMeta, tabletID: Int64, inputs: [Int64], rowsetID: Int64, output: [SegmentMeta],
        keys: [PrimaryKeys], sources: [(SegmentAddress, UInt32)], layout: PrimaryKeyLayout
    ) throws -> Bool {
        writes.lock()
        defer { writes.unlock() }
        guard
            let (table, tablet) = core.withLock({ core -> (TableMeta, TabletMeta)? in
                guard !core.closed, let table = core.meta.databases[snapshot.databaseID]?.tables[snapshot.id],
                    let tablet = table.partitions.lazy.flatMap(\.tablets).first(where: { $0.id == tabletID }),
                    Set(inputs).isSubset(of: Set(tablet.rowsets.map(\.id)))
                else { return nil }
                return (table, tablet)
            })
        else { return false }
        var index = try takeIndex(table: table, tablet: tablet, layout: layout)
        var segments = output
        var row = 0
        for (s, segment) in output.enumerated() {
            let slot = index.slot(SegmentAddress(rowset: rowsetID, segment: segment.index))
            var stale = [UInt32]()
            for r in 0..<segment.rowCount {
                let (source, sourceRow) = sources[row + r]
                let moved =
                    index.existingSlot(source).map {
                        index.replace(
                            keys[s], row: r, expected: PrimaryIndex.location(slot: $0, row: Int(sourceRow)),
                            new: PrimaryIndex.location(slot: slot, row: r))
                    } ?? false
                if !moved { stale.append(UInt32(r)) }
            }
            segments[s].deleted = DeleteVector(stale)
            row += segment.rowCount
        }
        let rowset = RowsetMeta(
            id: rowsetID, startVersion: tablet.rowsets.filter { inputs.contains($0.id) }.map(\.startVersion).min() ?? 0,
            endVersion: tablet.rowsets.filter { inputs.contains($0.id) }.map(\.endVersion).max() ?? 0,
            segments: segments)
        // If journaling fails the index (already pointing at the output) stays out of the cache:
        // the next commit rebuilds it from the published segments.
        let compacted = try core.withLock { core in
            try journal(
                .compact(
                    databaseID: snapshot.databaseID, tableID: snapshot.id, tabletID: tabletID, inputs: inputs,
                    output: rowset),
                in: &core)
            return core.meta.databases[snapshot.databaseID]?.tables[snapshot.id]?.partitions.lazy.flatMap(\.tablets)
                .first { $0.id == tabletID }
        }
        // The tablet is one fresh rowset now: the moment to write its index down for restarts.
        if let compacted { writeIndexSnapshot(&index, tablet: compacted) }
        primaryIndexes.withLock { $0[tabletID] = index }
        try? writePendingCheckpoint()
        return true
    }
}
