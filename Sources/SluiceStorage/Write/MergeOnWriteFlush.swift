import SluiceFormat
import SluiceIO

/// How a merge-on-write tablet's buffered rows become segments.
struct MergeOnWriteLayout: Sendable {
    /// Schema indices of the key columns.
    var keys: [Int]
    /// Schema indices of the sort key (the key unless `ORDER BY` names another).
    var sort: [Int]
    var keyColumnIDs: [Int]
    /// Whether the table honours `__op` (PRIMARY KEY; UNIQUE KEY ignores it).
    var takesOps: Bool
    /// The `merge_condition` column: among rows of one key the largest value wins (the last on
    /// ties) instead of simply the last.
    var condition: Int?

    init(table: TableMeta, condition: Int? = nil) {
        keys = table.keyColumnIndices
        sort = (table.sortKey ?? table.keyColumns).compactMap { table.schema.index(of: $0) }
        keyColumnIDs = keys.map { table.schema.columns[$0].id }
        takesOps = table.keysType == .primary
        self.condition = condition
    }
}

extension StorageEngine {
    /// Writes one flush of a merge-on-write tablet: its rows reduced to the last operation per key
    /// in input order, the upserts as a data segment in sort-key order, the deletes as a segment of
    /// key columns. Data and deletes of one flush touch different keys, so their order within the
    /// flush does not matter; across flushes the segment indices keep input order.
    /// - Parameters:
    ///   - ops: one byte per row, 1 = delete; empty = all upserts.
    ///   - firstIndex: the data segment's index; the delete segment takes the next one.
    func writeMergeOnWriteFlush(
        tablet: Int64, rowset: Int64, firstIndex: Int, columnIDs: [Int], columns: [ColumnVector], ops: [UInt8],
        layout: MergeOnWriteLayout
    ) throws -> [SegmentMeta] {
        let rows = columns.first?.count ?? 0
        let byKey = sortPermutation(columns, keys: layout.keys)
        var upserts = [Int]()
        var deletes = [Int]()
        upserts.reserveCapacity(rows)
        var i = 0
        while i < rows {
            // A run of equal keys keeps its last row (the sort is stable: last in input order), or
            // under a merge condition the row with the largest condition value, the last on ties.
            var end = i + 1
            while end < rows, sameKey(columns, layout.keys, byKey[i], byKey[end]) { end += 1 }
            var row = byKey[end - 1]
            if let condition = layout.condition {
                row = byKey[i]
                for j in i..<end where columns[condition].compareRows(byKey[j], row) >= 0 { row = byKey[j] }
            }
            if !ops.isEmpty, ops[row] == 1 { deletes.append(row) } else { upserts.append(row) }
            i = end
        }
        // Upserts stay in key order (the data segment's order when the sort key is the key).
        var segments = [SegmentMeta]()
        if !upserts.isEmpty {
            let identity = upserts.count == rows && upserts.indices.allSatisfy { upserts[$0] == $0 }
            let data = identity ? columns : columns.map { $0.gather(upserts) }
            let alreadySorted = layout.sort == layout.keys
            segments.append(
                try writeSegment(
                    tablet: tablet, rowset: rowset, index: firstIndex, columnIDs: columnIDs, columns: data,
                    keys: alreadySorted ? [] : layout.sort))
        }
        if !deletes.isEmpty {
            let keyColumns = layout.keys.map { columns[$0].gather(deletes) }
            var segment = try writeSegment(
                tablet: tablet, rowset: rowset, index: firstIndex + 1, columnIDs: layout.keyColumnIDs,
                columns: keyColumns, keys: [])
            segment.kind = .deletes
            segments.append(segment)
        }
        return segments
    }

    private func sameKey(_ columns: [ColumnVector], _ keys: [Int], _ a: Int, _ b: Int) -> Bool {
        for key in keys where columns[key].compareRows(a, b) != 0 { return false }
        return true
    }
}
