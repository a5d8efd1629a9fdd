import SluiceFormat
import SluiceIO

/// Applies one rowset of a commit to its tablet's primary index (see
/// ``StorageEngine/applyMergeOnWrite(table:rowsets:touched:)``).
struct RowsetApply {
    let engine: StorageEngine
    let table: TableMeta
    let tablet: Int64
    let layout: PrimaryKeyLayout
    let rowset: RowsetMeta
    /// The rowset id segments are written under: the load's, or a fresh one for a partial update
    /// (rewritten as full rows).
    var target: Int64
    /// The full-row rowset of a partial update, once ``run(_:)`` wrote it.
    private(set) var rewritten: RowsetMeta?
    /// Stored columns of segments other rows' keys point at, read once each.
    private var stored: [SegmentAddress: [ColumnVector]] = [:]

    private let keyColumns: [ColumnSchema]
    private let condition: Int?
    /// Schema indices a partial update did not name (taken from stored rows); nil = full rows.
    private let unnamed: [Int]?

    init(engine: StorageEngine, table: TableMeta, tablet: Int64, layout: PrimaryKeyLayout, rowset: RowsetMeta) {
        self.engine = engine
        self.table = table
        self.tablet = tablet
        self.layout = layout
        self.rowset = rowset
        self.target = rowset.id
        keyColumns = layout.columns.map { table.schema.columns[$0] }
        condition = rowset.mergeConditionColumnID.flatMap { id in table.schema.columns.firstIndex { $0.id == id } }
        unnamed = rowset.partialColumnIDs.map { named in
            table.schema.columns.indices.filter { !named.contains(table.schema.columns[$0].id) }
        }
    }

    /// - Returns: the rows this rowset supersedes (and, under a merge condition, its own rows
    ///   that lost to a stored row).
    mutating func run(_ index: inout PrimaryIndex) throws -> DeleteDeltas {
        var deltas = DeleteDeltas()
        var segments = [SegmentMeta]()
        for segment in rowset.segments.sorted(by: { $0.index < $1.index }) where segment.rowCount > 0 {
            switch segment.kind {
            case .deletes:
                let keys = try engine.readSegment(
                    tablet: tablet, rowset: rowset.id, segment: segment, columns: keyColumns)
                index.erase(layout.encode(keys), deltas: &deltas)
                segments.append(try copy(segment, keys))
            case .data:
                segments.append(try applyData(segment, &index, &deltas))
            }
        }
        if unnamed != nil {
            if !segments.isEmpty { try engine.syncRowsetDirectories(tablet: tablet, rowset: target) }
            rewritten = RowsetMeta(
                id: target, startVersion: rowset.startVersion, endVersion: rowset.endVersion, segments: segments,
                mergeConditionColumnID: rowset.mergeConditionColumnID)
        }
        return deltas
    }

    private mutating func applyData(_ segment: SegmentMeta, _ index: inout PrimaryIndex, _ deltas: inout DeleteDeltas)
        throws -> SegmentMeta
    {
        guard condition != nil || unnamed != nil else {
            let keys = try engine.readSegment(tablet: tablet, rowset: rowset.id, segment: segment, columns: keyColumns)
            index.upsert(
                layout.encode(keys), segment: SegmentAddress(rowset: rowset.id, segment: segment.index), deltas: &deltas
            )
            return segment
        }
        var columns = try engine.readSegment(
            tablet: tablet, rowset: rowset.id, segment: segment, columns: table.schema.columns)
        let keys = layout.encode(layout.columns.map { columns[$0] })
        var dropped = Set<Int>()
        var patches = [(row: Int, from: SegmentAddress, stored: Int)]()
        for row in 0..<segment.rowCount {
            guard let location = index.location(keys, row: row) else { continue }
            let (address, storedRow) = index.address(of: location)
            if let condition {
                // A stored value above the new one keeps the stored row (NULL is the lowest value).
                let old = try storedColumns(address)[condition]
                if compare(old, Int(storedRow), columns[condition], row) > 0 {
                    dropped.insert(row)
                    continue
                }
            }
            if unnamed != nil { patches.append((row, address, Int(storedRow))) }
        }
        var meta = segment
        if let unnamed {
            if !patches.isEmpty {
                var byRow = [Int: (SegmentAddress, Int)]()
                for p in patches { byRow[p.row] = (p.from, p.stored) }
                for c in unnamed {
                    var column = ColumnVector(type: table.schema.columns[c].type, capacity: segment.rowCount)
                    for row in 0..<segment.rowCount {
                        if let (address, storedRow) = byRow[row] {
                            column.append(from: try storedColumns(address)[c], row: storedRow)
                        } else {
                            column.append(from: columns[c], row: row)
                        }
                    }
                    columns[c] = column
                }
            }
            meta = try engine.writeSegment(
                tablet: tablet, rowset: target, index: segment.index, columnIDs: table.schema.columns.map(\.id),
                columns: columns, keys: [])
            rewrittenSegments[segment.index] = meta
        }
        let address = SegmentAddress(rowset: target, segment: segment.index)
        index.upsert(keys, segment: address, skipping: dropped, deltas: &deltas)
        if !dropped.isEmpty { deltas.rows[address, default: []].append(contentsOf: dropped.map { UInt32($0) }) }
        return meta
    }

    /// A delete segment moved into the rewritten rowset unchanged.
    private func copy(_ segment: SegmentMeta, _ keys: [ColumnVector]) throws -> SegmentMeta {
        guard unnamed != nil else { return segment }
        var meta = try engine.writeSegment(
            tablet: tablet, rowset: target, index: segment.index, columnIDs: keyColumns.map(\.id), columns: keys,
            keys: [])
        meta.kind = .deletes
        return meta
    }

    private mutating func storedColumns(_ address: SegmentAddress) throws -> [ColumnVector] {
        if let columns = stored[address] { return columns }
        // A partial update's earlier rows of the same load were rewritten under `target`.
        let found =
            unnamed != nil && address.rowset == target ? rewrittenSegments[address.segment] : findSegment(address)
        guard let segment = found else {
            throw StorageError(
                .corruption, "tablet \(tablet): the primary index points at a missing segment \(address)")
        }
        let columns = try engine.readSegment(
            tablet: tablet, rowset: address.rowset, segment: segment, columns: table.schema.columns)
        stored[address] = columns
        return columns
    }

    /// Segments written so far under `target` (a partial update reading its own earlier rows).
    private var rewrittenSegments: [Int: SegmentMeta] = [:]

    private func findSegment(_ address: SegmentAddress) -> SegmentMeta? {
        if address.rowset == rowset.id { return rowset.segments.first { $0.index == address.segment } }
        for partition in table.partitions {
            for t in partition.tablets where t.id == tablet {
                for r in t.rowsets where r.id == address.rowset {
                    return r.segments.first { $0.index == address.segment }
                }
            }
        }
        return nil
    }

    /// Orders a stored value against a new one, NULL lowest.
    private func compare(_ old: ColumnVector, _ oldRow: Int, _ new: ColumnVector, _ newRow: Int) -> Int {
        let a = old.value(at: oldRow)
        let b = new.value(at: newRow)
        switch (a, b) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        default: return compareValues(a, b)
        }
    }
}
