package import SluiceFormat
import SluiceIO

/// A row the writer refused (no partition for it, NULL in a NOT NULL column).
package struct RejectedRow: Sendable, Hashable {
    /// Row index inside the batch given to ``TableWriter/append(_:)``.
    package var row: Int
    package var reason: String
}

/// Per-load options of a ``TableWriter``.
package struct WriteOptions: Sendable {
    /// Only these partitions may receive rows (`partitions` header); nil = any.
    package var partitions: [String]?
    /// Buffered bytes above which the largest tablet buffers are flushed to segments.
    package var memoryLimit: Int

    /// Partial update (PRIMARY KEY): schema indices of the columns the load names; the others
    /// keep their stored values for keys that exist (see ``RowsetMeta/partialColumnIDs``).
    package var partialColumns: [Int]?
    /// Conditional update (PRIMARY KEY): schema index of the `merge_condition` column.
    package var mergeCondition: Int?
    /// Delete operations are honoured on UNIQUE KEY tables too (SQL DELETE; loads' `__op` is
    /// ignored there).
    package var acceptsDeletes = false
    /// Segment flushes in flight at once (different tablets encode side by side). Each holds a
    /// buffer of up to `memoryLimit` bytes.
    package var flushDepth = 1

    package init(
        partitions: [String]? = nil, memoryLimit: Int = 256 << 20, partialColumns: [Int]? = nil,
        mergeCondition: Int? = nil, acceptsDeletes: Bool = false
    ) {
        self.acceptsDeletes = acceptsDeletes
        self.partitions = partitions
        self.memoryLimit = memoryLimit
        self.partialColumns = partialColumns
        self.mergeCondition = mergeCondition
    }
}

/// The data of a finished write: durable segment files not yet part of any version.
package struct PreparedWrite: Sendable, Hashable, Codable {
    package var databaseID: Int64
    package var tableID: Int64
    /// One rowset per touched tablet (versions are set at commit).
    package var rowsets: [Int64: RowsetMeta]
    package var rowCount: Int
    package var byteCount: Int
}

/// Buffers rows per tablet and writes them as sorted, immutable segments.
///
/// One writer per load, used from one task at a time. Memory is bounded by
/// ``WriteOptions/memoryLimit``: above it the largest buffers are flushed as segments, so a body
/// of any size streams through. ``finish()`` fsyncs every file and directory; the caller then
/// commits the ``PreparedWrite`` through ``StorageEngine/commit(_:label:attachment:)`` or discards
/// it with ``abort()``.
package final class TableWriter {
    private let engine: StorageEngine
    private(set) var table: TableMeta
    private var router: RowRouter
    private let options: WriteOptions
    private var buffers: [Int64: TabletBuffer] = [:]
    private var bufferedBytes = 0
    private var finished = false
    private let flusher: SegmentFlusher
    private let keyIndices: [Int]
    private let notNullColumns: [Int]
    /// Set for PRIMARY and UNIQUE KEY tables: flushes keep the last row per key.
    private let mergeOnWrite: MergeOnWriteLayout?
    private let keyLayout: PrimaryKeyLayout?

    struct TabletBuffer {
        var tabletID: Int64
        var columns: [ColumnVector]
        /// One byte per buffered row, 1 = delete (PRIMARY KEY loads with `__op`); empty while
        /// every row is an upsert.
        var ops: [UInt8] = []
        var rowsetID: Int64?
        /// Segments handed to the flusher so far (their index is this count at submission).
        var segmentCount = 0
        var footprint = 0
        var rows: Int { columns.first?.count ?? 0 }
    }

    init(engine: StorageEngine, table: TableMeta, options: WriteOptions) throws {
        var layout =
            table.keysType.mergesOnWrite ? MergeOnWriteLayout(table: table, condition: options.mergeCondition) : nil
        if options.acceptsDeletes { layout?.takesOps = true }
        self.mergeOnWrite = layout
        self.keyLayout = table.keysType.mergesOnWrite ? PrimaryKeyLayout(table: table) : nil
        self.engine = engine
        self.table = table
        self.options = options
        self.flusher = SegmentFlusher(depth: options.flushDepth)
        self.router = try RowRouter(table: table, allowedPartitionNames: options.partitions)
        self.keyIndices = table.keyColumnIndices
        self.notNullColumns = table.schema.columns.indices.filter { !table.schema.columns[$0].isNullable }
    }

    /// The table snapshot the writer routes against.
    package var tableMeta: TableMeta { table }

    /// Rows buffered or written so far.
    package private(set) var rowCount = 0

    /// Bytes currently buffered in memory.
    package var memoryUsage: Int { bufferedBytes }

    /// Adds rows given as one column per table column, in table order.
    /// - Parameter ops: for a PRIMARY KEY table, one byte per row: 0 = upsert, 1 = delete (the
    ///   load's `__op`); nil = all upserts. Ignored by other tables.
    /// - Returns: rows that were not written, with the reason.
    /// - Throws: `.invalidData` with StarRocks' message if a primary key is longer than
    ///   ``PrimaryKeys/sizeLimit`` bytes (the whole load fails).
    package func append(_ columns: [ColumnVector], ops: [UInt8]? = nil) throws -> [RejectedRow] {
        precondition(!finished, "append after finish")
        precondition(columns.count == table.schema.columns.count, "one column per table column")
        let rows = columns.first?.count ?? 0
        guard rows > 0 else { return [] }
        if let keyLayout, keyLayout.firstOversizedRow(keyLayout.columns.map { columns[$0] }) != nil {
            throw StorageError(.invalidData, PrimaryKeys.sizeExceededMessage)
        }
        let ops = mergeOnWrite?.takesOps == true ? ops.flatMap { $0.contains(1) ? $0 : nil } : nil
        if ops != nil, let condition = options.mergeCondition {
            // StarRocks' memtable refuses deletes under a condition column (the whole load fails).
            let tablet = table.partitions.first?.tablets.first?.id ?? 0
            throw StorageError(
                .invalidData,
                "memtable of tablet \(tablet) delete with condition column \(table.schema.columns[condition].name)")
        }
        var rejected = [RejectedRow]()
        var valid = [Bool](repeating: true, count: rows)
        for c in notNullColumns where columns[c].hasNulls {
            for r in 0..<rows where columns[c].nulls[r] != 0 && valid[r] {
                valid[r] = false
                rejected.append(
                    RejectedRow(row: r, reason: "NULL value in non-nullable column '\(table.schema.columns[c].name)'"))
            }
        }
        var targets = router.route(columns, rowCount: rows)
        var missing = Set<Int64>()
        for (r, target) in targets.enumerated() where valid[r] {
            if case .missingPartition(let lower, _) = target { missing.insert(lower) }
        }
        if !missing.isEmpty {
            table = try engine.addAutomaticPartitions(table: table, lowerBounds: missing.sorted())
            router = try RowRouter(table: table, allowedPartitionNames: options.partitions)
            targets = router.route(columns, rowCount: rows)
        }
        var perTablet: [Int64: [Int]] = [:]
        for (r, target) in targets.enumerated() where valid[r] {
            switch target {
            case .partition(let p, let bucket):
                let tablet = table.partitions[p].tablets[bucket % table.partitions[p].tablets.count].id
                perTablet[tablet, default: []].append(r)
            case .rejected(let reason):
                rejected.append(RejectedRow(row: r, reason: reason))
            case .missingPartition:
                rejected.append(RejectedRow(row: r, reason: "no partition for the row"))
            }
        }
        let allRows = rejected.isEmpty && perTablet.count == 1
        for (tablet, indices) in perTablet {
            // Take the buffer out of the dictionary so its arrays stay uniquely referenced (no copy-on-write).
            var buffer =
                buffers.removeValue(forKey: tablet)
                ?? TabletBuffer(
                    tabletID: tablet, columns: table.schema.columns.map { ColumnVector(type: $0.type) })
            let before = buffer.footprint
            for c in columns.indices {
                if allRows {
                    buffer.columns[c].append(contentsOf: columns[c])
                } else {
                    buffer.columns[c].append(from: columns[c], rows: indices)
                }
            }
            if let ops {
                if buffer.ops.isEmpty { buffer.ops = [UInt8](repeating: 0, count: buffer.rows - indices.count) }
                buffer.ops.append(contentsOf: indices.lazy.map { ops[$0] })
            } else if !buffer.ops.isEmpty {
                buffer.ops.append(contentsOf: repeatElement(0, count: indices.count))
            }
            buffer.footprint = buffer.columns.reduce(0) { $0 + $1.memoryFootprint }
            bufferedBytes += buffer.footprint - before
            buffers[tablet] = buffer
            rowCount += indices.count
        }
        while bufferedBytes > options.memoryLimit, let largest = buffers.values.max(by: { $0.footprint < $1.footprint })
        {
            do {
                try flush(largest.tabletID)
            } catch {
                flusher.cancel()
                throw error
            }
        }
        return rejected.sorted { $0.row < $1.row }
    }

    /// Hands a tablet's buffer to the background flusher, which sorts, encodes and fsyncs it as
    /// one segment.
    private func flush(_ tabletID: Int64) throws {
        guard var buffer = buffers.removeValue(forKey: tabletID) else { return }
        defer { buffers[tabletID] = buffer }
        guard buffer.rows > 0 else { return }
        let rowsetID = buffer.rowsetID ?? engine.allocateID()
        buffer.rowsetID = rowsetID
        let index = buffer.segmentCount
        // A merge-on-write flush may write a data and a delete segment: it reserves two indices.
        buffer.segmentCount += mergeOnWrite == nil ? 1 : 2
        let columns = buffer.columns
        let ops = buffer.ops
        buffer.ops = []
        let columnIDs = table.schema.columns.map(\.id)
        let keys = keyIndices
        let engine = self.engine
        bufferedBytes -= buffer.footprint
        buffer.footprint = 0
        // No up-front reservation: a fresh block of the whole size would come as new zeroed pages
        // (measured: 7% of a CSV load in clear_page), regrowth reuses freed heap blocks.
        buffer.columns = table.schema.columns.map { ColumnVector(type: $0.type) }
        if let layout = mergeOnWrite {
            try flusher.submit(tablet: tabletID) {
                try engine.writeMergeOnWriteFlush(
                    tablet: tabletID, rowset: rowsetID, firstIndex: index, columnIDs: columnIDs, columns: columns,
                    ops: ops, layout: layout)
            }
        } else {
            try flusher.submit(tablet: tabletID) {
                [
                    try engine.writeSegment(
                        tablet: tabletID, rowset: rowsetID, index: index, columnIDs: columnIDs, columns: columns,
                        keys: keys)
                ]
            }
        }
    }

    /// Flushes everything and makes the files and their directories durable.
    package func finish() throws -> PreparedWrite {
        precondition(!finished, "finish twice")
        finished = true
        let written: [Int64: [SegmentMeta]]
        do {
            for tablet in buffers.keys.sorted() { try flush(tablet) }
            written = try flusher.drain()
        } catch {
            flusher.cancel()
            throw error
        }
        var rowsets: [Int64: RowsetMeta] = [:]
        var bytes = 0
        for buffer in buffers.values {
            guard let rowsetID = buffer.rowsetID, let segments = written[buffer.tabletID], !segments.isEmpty else {
                continue
            }
            try engine.syncRowsetDirectories(tablet: buffer.tabletID, rowset: rowsetID)
            let rowset = RowsetMeta(
                id: rowsetID, startVersion: 0, endVersion: 0, segments: segments,
                partialColumnIDs: options.partialColumns.map { $0.map { table.schema.columns[$0].id } },
                mergeConditionColumnID: options.mergeCondition.map { table.schema.columns[$0].id })
            bytes += rowset.byteCount
            rowsets[buffer.tabletID] = rowset
        }
        try FaultPoints.hit("storage.after_segments")
        return PreparedWrite(
            databaseID: table.databaseID, tableID: table.id, rowsets: rowsets, rowCount: rowCount, byteCount: bytes)
    }

    /// No background flush outlives its writer (a crashed or abandoned load leaves no stray writes).
    deinit { flusher.cancel() }

    /// Removes every file written so far (best effort; recovery removes leftovers too).
    package func abort() {
        finished = true
        flusher.cancel()
        for buffer in buffers.values {
            if let rowsetID = buffer.rowsetID { engine.removeRowsetFiles(tablet: buffer.tabletID, rowset: rowsetID) }
        }
        buffers.removeAll()
        bufferedBytes = 0
    }
}
