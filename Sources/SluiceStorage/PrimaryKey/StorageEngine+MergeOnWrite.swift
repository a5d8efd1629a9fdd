import Foundation
import SluiceFormat
import SluiceIO
import Synchronization

extension KeysType {
    /// PRIMARY KEY and UNIQUE KEY tables keep one live row per key, resolved when a load commits
    /// (a primary index per tablet and delete vectors per segment).
    package var mergesOnWrite: Bool { self == .primary || self == .unique }
}

/// What applying a commit to the primary indexes decided.
struct MergeOnWriteApply: Sendable {
    /// Rows the commit supersedes or deletes, by tablet (into the commit record).
    var deletes: [Int64: [SegmentDeletes]] = [:]
    /// The rowsets to publish: the load's, or full-row rewrites of its partial-update rowsets.
    var rowsets: [Int64: RowsetMeta]
    /// Partial-update rowsets replaced by a rewrite: their files go once the commit is published.
    var replaced: [(tablet: Int64, rowset: Int64)] = []
    /// Rowsets written by the apply: their files go if the commit fails.
    var written: [(tablet: Int64, rowset: Int64)] = []
}

extension StorageEngine {
    /// Applies the rowsets of one commit to their tablets' primary indexes, in segment order
    /// (a load's upserts and deletes interleave as they were flushed), and returns the rows they
    /// supersede, by tablet — the delete vectors the commit record carries.
    ///
    /// Conditional updates drop rows whose condition value is below the stored one (into their own
    /// segment's delete vector); partial updates take the unnamed columns of existing keys from the
    /// stored rows, read now (at commit, in commit order), and are rewritten as full rows.
    ///
    /// The caller holds ``writes`` (the indexes change only in commit order) and not `core`.
    /// An index is taken out while it changes: if anything fails it is not put back, so the next
    /// commit rebuilds it from the published segments. `touched` collects every tablet whose
    /// index now holds unpublished changes (the caller invalidates them if the commit fails).
    /// - Parameter table: the published table (lazy index builds read its segments).
    func applyMergeOnWrite(table: TableMeta, rowsets: [Int64: RowsetMeta], touched: inout Set<Int64>) throws
        -> MergeOnWriteApply
    {
        var result = MergeOnWriteApply(rowsets: rowsets)
        guard table.keysType.mergesOnWrite else { return result }
        let layout = PrimaryKeyLayout(table: table)
        do {
            for (tabletID, rowset) in rowsets.sorted(by: { $0.key < $1.key }) {
                guard let tablet = table.partitions.lazy.flatMap(\.tablets).first(where: { $0.id == tabletID })
                else { continue }
                var index = try takeIndex(table: table, tablet: tablet, layout: layout)
                touched.insert(tabletID)
                var apply = RowsetApply(engine: self, table: table, tablet: tabletID, layout: layout, rowset: rowset)
                if rowset.partialColumnIDs != nil {
                    apply.target = allocateID()
                    result.written.append((tabletID, apply.target))
                }
                let deltas = try apply.run(&index)
                primaryIndexes.withLock { $0[tabletID] = index }
                if let rewritten = apply.rewritten {
                    result.rowsets[tabletID] = rewritten
                    result.replaced.append((tabletID, rowset.id))
                }
                if !deltas.isEmpty { result.deletes[tabletID] = deltas.records }
            }
        } catch {
            discardWritten(result)
            throw error
        }
        return result
    }

    /// Removes the rowsets an apply wrote for a commit that did not happen.
    func discardWritten(_ apply: MergeOnWriteApply) {
        for (tablet, rowset) in apply.written { removeRowsetFiles(tablet: tablet, rowset: rowset) }
    }

    /// Removes the partial-update rowsets a published commit replaced with full rows.
    func removeReplaced(_ apply: MergeOnWriteApply) {
        for (tablet, rowset) in apply.replaced { removeRowsetFiles(tablet: tablet, rowset: rowset) }
    }

    /// Drops indexes that may hold changes no commit published (rebuilt on next use).
    func invalidateIndexes(_ tablets: Set<Int64>) {
        guard !tablets.isEmpty else { return }
        primaryIndexes.withLock { indexes in for tablet in tablets { indexes[tablet] = nil } }
    }

    /// The tablet's index, out of the cache (the caller puts it back); if absent, restored from
    /// its snapshot file or else built from the segments.
    func takeIndex(table: TableMeta, tablet: TabletMeta, layout: PrimaryKeyLayout) throws -> PrimaryIndex {
        if let index = primaryIndexes.withLock({ $0.removeValue(forKey: tablet.id) }) { return index }
        if let index = try restoreIndex(table: table, tablet: tablet, layout: layout) {
            indexLoads.withLock { $0.restored += 1 }
            return index
        }
        var index = try buildIndex(table: table, tablet: tablet, layout: layout)
        index.changesSinceSnapshot = index.count
        indexLoads.withLock { $0.rebuilt += 1 }
        return index
    }

    /// Builds a tablet's index from its published data segments, skipping deleted rows.
    /// - Throws: `.corruption` if a key is live in two rows (delete vectors are wrong).
    func buildIndex(table: TableMeta, tablet: TabletMeta, layout: PrimaryKeyLayout) throws -> PrimaryIndex {
        var index = PrimaryIndex(layout: layout, capacity: tablet.rowCount)
        if let duplicate = try index.addLiveRows(of: tablet, readKeys: keyReader(table, tablet.id, layout)) {
            throw StorageError(
                .corruption, "\(PrimaryIndex.duplicateMessage(tablet: tablet.id, duplicate)); run `sluice fsck`")
        }
        return index
    }

    /// Reads and encodes the key columns of a tablet's segments.
    func keyReader(_ table: TableMeta, _ tablet: Int64, _ layout: PrimaryKeyLayout) -> (RowsetMeta, SegmentMeta) throws
        -> PrimaryKeys
    {
        let keyColumns = layout.columns.map { table.schema.columns[$0] }
        return { rowset, segment in
            layout.encode(
                try self.readSegment(tablet: tablet, rowset: rowset.id, segment: segment, columns: keyColumns))
        }
    }

    /// How loaded indexes came to memory since the engine opened: read from a snapshot file (and
    /// brought up to date), or rebuilt from every segment of the tablet.
    package var primaryIndexLoads: (restored: Int, rebuilt: Int) {
        indexLoads.withLock { ($0.restored, $0.rebuilt) }
    }

    /// Memory of the loaded primary indexes: (tablets, keys, bytes).
    package var primaryIndexStatistics: (tablets: Int, keys: Int, bytes: Int) {
        primaryIndexes.withLock { indexes in
            indexes.values.reduce((indexes.count, 0, 0)) { ($0.0, $0.1 + $1.count, $0.2 + $1.memoryBytes) }
        }
    }

    /// The index of a tablet as (key text → segment, row), loading it if needed (fsck, tests).
    package func primaryIndexRows(database: String, table name: String, tabletID: Int64) throws -> [String: RowAddress]
    {
        writes.lock()
        defer { writes.unlock() }
        let table = try self.table(database: database, name: name)
        guard let tablet = table.partitions.lazy.flatMap(\.tablets).first(where: { $0.id == tabletID }) else {
            throw StorageError(.unknownPartition, "tablet \(tabletID) is not in table \(name)")
        }
        let layout = PrimaryKeyLayout(table: table)
        let index = try takeIndex(table: table, tablet: tablet, layout: layout)
        primaryIndexes.withLock { $0[tabletID] = index }
        return index.rows()
    }

    /// A tablet's index rebuilt from its segments as (key text → segment, row) (fsck, tests).
    package func rebuiltPrimaryIndexRows(table: TableMeta, tabletID: Int64) throws -> [String: RowAddress] {
        guard let tablet = table.partitions.lazy.flatMap(\.tablets).first(where: { $0.id == tabletID }) else {
            throw StorageError(.unknownPartition, "tablet \(tabletID) is not in table \(table.name)")
        }
        return try buildIndex(table: table, tablet: tablet, layout: PrimaryKeyLayout(table: table)).rows()
    }
}
