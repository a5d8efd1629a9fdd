package import SluiceFormat
import SluiceIO
import Synchronization

/// A range restriction on one column, used to skip partitions and pages by their zone maps.
///
/// Bounds are values in the column's lane. A row with NULL never satisfies a predicate.
package struct ScanPredicate: Sendable, Hashable {
    package var column: Int
    package var lower: Value?
    package var lowerInclusive: Bool
    package var upper: Value?
    package var upperInclusive: Bool

    package init(
        column: Int, lower: Value? = nil, lowerInclusive: Bool = true, upper: Value? = nil, upperInclusive: Bool = true
    ) {
        self.column = column
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// Whether some value in `[min, max]` may satisfy the predicate.
    package func mayMatch(min: Value, max: Value) -> Bool {
        if let lower {
            let c = compareValues(max, lower)
            if c < 0 || (c == 0 && !lowerInclusive) { return false }
        }
        if let upper {
            let c = compareValues(min, upper)
            if c > 0 || (c == 0 && !upperInclusive) { return false }
        }
        return true
    }

    /// Whether a partition `[lower, upper)` may hold matching rows.
    func mayMatch(partition: PartitionMeta) -> Bool {
        if let upper = self.upper, let pLower = partition.lower {
            let c = compareValues(pLower, upper)
            if c > 0 || (c == 0 && !upperInclusive) { return false }
        }
        if let lower = self.lower, let pUpper = partition.upper {
            if compareValues(pUpper, lower) <= 0 { return false }
        }
        return true
    }
}

/// Counters of a scan (reported as `statistics.scanRows` / `scanBytes`).
package struct ScanStatistics: Sendable, Hashable {
    package var rows = 0
    package var bytes = 0
    package var pagesSkipped = 0
    package var partitionsSkipped = 0
    package init() {}
}

/// Reads a table snapshot batch by batch (one page group of one segment at a time).
///
/// Holds a read lease for its lifetime so compaction never deletes files under it; call
/// ``close()`` (or read to the end).
package final class TableScan {
    private let engine: StorageEngine
    package let table: TableMeta
    private let columns: [Int]
    private let predicates: [ScanPredicate]
    private var segments: [(tablet: Int64, rowset: Int64, segment: Int, deleted: DeleteVector)] = []
    private var segmentCursor = 0
    private var current: OpenSegment?
    private var lease: Int?
    package private(set) var statistics = ScanStatistics()
    /// AGGREGATE KEY tables: tablets still to merge, and the merged rows not returned yet.
    private var aggregateTablets: [TabletMeta] = []
    private var merged: (columns: [ColumnVector], next: Int)?
    private let aggregate: AggregateMerge?
    /// Rows a merged batch returns at most.
    private static let mergedBatchRows = 65_536

    struct OpenSegment {
        var path: String
        var file: any ReadableFile
        var footer: SegmentFooter
        var entries: [ColumnEntry?]
        var page = 0
        /// Rows of the pages before `page`.
        var firstRow = 0
        /// One flag per row (deleted rows of a merge-on-write table), nil when none is deleted.
        var deleted: [Bool]?
    }

    /// - Parameters:
    ///   - columns: schema indices of the columns to return, in output order.
    ///   - predicates: restrictions used for pruning only (rows are not filtered here).
    ///   - lease: a read lease begun (``ReadTracker/begin()``) no later than `table` was read from
    ///     the metadata, so no file `table` names can be deleted under the scan.
    init(
        engine: StorageEngine, table: TableMeta, lease: Int, columns: [Int], predicates: [ScanPredicate],
        rowsets: Set<Int64>? = nil
    ) {
        self.engine = engine
        self.table = table
        self.columns = columns
        self.predicates = predicates
        self.lease = lease
        self.aggregate = table.keysType == .aggregate ? AggregateMerge(table: table) : nil
        let partitionColumn = table.partitioning.column.flatMap { table.schema.index(of: $0) }
        for partition in table.partitions {
            if let partitionColumn,
                predicates.contains(where: { $0.column == partitionColumn && !$0.mayMatch(partition: partition) })
            {
                statistics.partitionsSkipped += 1
                continue
            }
            for tablet in partition.tablets {
                if aggregate != nil {
                    var selected = tablet
                    selected.rowsets = tablet.rowsets.filter { rowsets?.contains($0.id) ?? true }
                    if selected.rowCount > 0 { aggregateTablets.append(selected) }
                    continue
                }
                for rowset in tablet.rowsets where rowsets?.contains(rowset.id) ?? true {
                    for segment in rowset.segments where segment.liveRowCount > 0 {
                        segments.append((tablet.id, rowset.id, segment.index, segment.deleted))
                    }
                }
            }
        }
    }

    /// The next batch (one column per requested column), or nil at the end.
    package func next() throws -> [ColumnVector]? {
        if let aggregate { return try nextMerged(aggregate) }
        while true {
            if current == nil {
                guard segmentCursor < segments.count else {
                    close()
                    return nil
                }
                let s = segments[segmentCursor]
                segmentCursor += 1
                current = try open(engine.directory.segment(tablet: s.tablet, rowset: s.rowset, index: s.segment))
                if !s.deleted.isEmpty { current!.deleted = s.deleted.mask(rowCount: current!.footer.rowCount) }
            }
            guard var segment = current else { continue }
            let pageCount = segment.footer.columns.first?.pages.count ?? 0
            while segment.page < pageCount {
                let page = segment.page
                let firstRow = segment.firstRow
                let rows = segment.footer.columns.first?.pages[page].rowCount ?? 0
                segment.page += 1
                segment.firstRow += rows
                if !pageMayMatch(segment, page) {
                    statistics.pagesSkipped += 1
                    continue
                }
                current = segment
                var batch = try readPage(segment, page)
                guard let deleted = segment.deleted else { return batch }
                var live = [Int]()
                live.reserveCapacity(rows)
                deleted.withUnsafeBufferPointer { deleted in
                    for r in 0..<rows where !deleted[firstRow + r] { live.append(r) }
                }
                if live.count == rows { return batch }
                if live.isEmpty { continue }
                for c in batch.indices { batch[c].retainRows(live) }
                return batch
            }
            segment.file.close()
            current = nil
        }
    }

    /// AGGREGATE KEY: each tablet's rows read whole and merged by key, returned in slices.
    private func nextMerged(_ aggregate: AggregateMerge) throws -> [ColumnVector]? {
        while true {
            if let (columns, next) = merged, next < (columns.first?.count ?? 0) {
                let end = min(next + Self.mergedBatchRows, columns[0].count)
                merged = (columns, end)
                let range = next..<end
                return self.columns.map { end - next == columns[$0].count ? columns[$0] : columns[$0].slice(range) }
            }
            merged = nil
            guard !aggregateTablets.isEmpty else {
                close()
                return nil
            }
            let tablet = aggregateTablets.removeFirst()
            var all = table.schema.columns.map { ColumnVector(type: $0.type) }
            for rowset in tablet.rowsets {
                for segment in rowset.segments where segment.liveRowCount > 0 {
                    let read = try engine.readSegment(
                        tablet: tablet.id, rowset: rowset.id, segment: segment, columns: table.schema.columns)
                    statistics.rows += segment.rowCount
                    statistics.bytes += segment.byteCount
                    for c in all.indices { all[c].append(contentsOf: read[c]) }
                }
            }
            merged = (aggregate.merge(all), 0)
        }
    }

    private func open(_ path: String) throws -> OpenSegment {
        let (file, footer) = try engine.segmentReader.open(path)
        let entries = columns.map { footer.column(id: table.schema.columns[$0].id) }
        return OpenSegment(path: path, file: file, footer: footer, entries: entries)
    }

    private func pageMayMatch(_ segment: OpenSegment, _ page: Int) -> Bool {
        for predicate in predicates {
            guard let entry = segment.footer.column(id: table.schema.columns[predicate.column].id) else { continue }
            let p = entry.pages[page]
            if p.nullCount == p.rowCount { return false }
            if let zone = p.zone, !predicate.mayMatch(min: zone.min, max: zone.max) { return false }
        }
        return true
    }

    private func readPage(_ segment: OpenSegment, _ page: Int) throws -> [ColumnVector] {
        var result = [ColumnVector]()
        result.reserveCapacity(columns.count)
        let rows = segment.footer.columns.first?.pages[page].rowCount ?? 0
        statistics.rows += rows
        for (i, columnIndex) in columns.enumerated() {
            let type = table.schema.columns[columnIndex].type
            var vector = ColumnVector(type: type, capacity: rows)
            guard let entry = segment.entries[i] else {
                vector = ColumnVector(type: type, repeating: .null, count: rows)
                result.append(vector)
                continue
            }
            let p = entry.pages[page]
            do {
                let bytes = try segment.file.read(offset: p.offset, length: p.size)
                statistics.bytes += bytes.count
                try PageCodec.decode(bytes, into: &vector, baseOffset: p.offset)
            } catch let error as FormatError {
                throw StorageError(.corruption, "corrupt segment \(segment.path): \(error)", underlying: error)
            }
            result.append(vector)
        }
        return result
    }

    /// Releases the read lease (idempotent).
    package func close() {
        current?.file.close()
        current = nil
        if let lease {
            self.lease = nil
            engine.delete(engine.readers.end(lease))
        }
    }

    deinit { close() }
}

extension StorageEngine {
    /// Starts a scan of a table snapshot.
    /// Scans the table's current committed rows. The snapshot is re-read together with the
    /// read lease (one lock), so files compacted or dropped after `table` was looked up cannot
    /// vanish under the scan.
    package func scan(_ table: TableMeta, columns: [Int], predicates: [ScanPredicate] = []) -> TableScan {
        let (current, lease) = core.withLock { core in
            (core.meta.databases[table.databaseID]?.tables[table.id] ?? table, readers.begin())
        }
        return TableScan(engine: self, table: current, lease: lease, columns: columns, predicates: predicates)
    }
}
