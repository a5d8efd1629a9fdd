import Foundation
import SluiceFormat
import SluiceIO
import Synchronization

/// Primary index snapshots: written down so restarts read them instead of rescanning segments
/// (decision 0010, docs/on-disk-format.md).
extension StorageEngine {
    /// The tablet's index from its snapshot file, if there is a usable one.
    func restoreIndex(table: TableMeta, tablet: TabletMeta, layout: PrimaryKeyLayout) throws -> PrimaryIndex? {
        let path = directory.primaryIndex(tablet: tablet.id)
        guard fileSystem.fileExists(path), let bytes = try? fileSystem.readFile(path),
            let snapshot = try? IndexSnapshot.decode(bytes)
        else { return nil }
        return try PrimaryIndex.restore(
            snapshot, tablet: tablet, layout: layout, readKeys: keyReader(table, tablet.id, layout))
    }

    /// Writes a tablet's index as its snapshot file (temporary file, fsync, rename, directory
    /// fsync). Best effort: the snapshot is derived data, a failure only means a slower start.
    /// The caller holds ``writes`` and `tablet` is the published tablet the index describes.
    func writeIndexSnapshot(_ index: inout PrimaryIndex, tablet: TabletMeta) {
        guard let snapshot = index.snapshot(of: tablet) else { return }
        let path = directory.primaryIndex(tablet: tablet.id)
        let temporary = path + ".tmp"
        do {
            let file = try fileSystem.createFile(temporary)
            try file.append(snapshot.encode())
            try file.sync()
            try file.close()
            try fileSystem.rename(temporary, to: path)
            try fileSystem.syncDirectory(directory.tablet(tablet.id))
            index.changesSinceSnapshot = 0
        } catch {
            try? fileSystem.removeFile(temporary)
        }
    }

    /// Writes the snapshots of loaded indexes with at least `minimumChanges` keys changed since
    /// their last one (maintenance pass; `close()` writes every changed one).
    /// - Returns: how many were written.
    @discardableResult
    package func snapshotPrimaryIndexes(minimumChanges: Int = 1) -> Int {
        writes.lock()
        defer { writes.unlock() }
        return snapshotPrimaryIndexesLocked(minimumChanges: minimumChanges)
    }

    /// ``snapshotPrimaryIndexes(minimumChanges:)`` with ``writes`` already held.
    @discardableResult
    func snapshotPrimaryIndexesLocked(minimumChanges: Int) -> Int {
        let due = primaryIndexes.withLock { indexes in
            indexes.filter { $0.value.changesSinceSnapshot >= max(1, minimumChanges) }.map(\.key)
        }
        guard !due.isEmpty else { return 0 }
        let tablets = core.withLock { core in
            var found = [Int64: TabletMeta]()
            for db in core.meta.databases.values {
                for table in db.tables.values {
                    for partition in table.partitions {
                        for tablet in partition.tablets where due.contains(tablet.id) { found[tablet.id] = tablet }
                    }
                }
            }
            return found
        }
        var written = 0
        for id in due {
            guard var index = primaryIndexes.withLock({ $0.removeValue(forKey: id) }) else { continue }
            // A tablet no longer in any table (dropped, truncated): forget its index.
            guard let tablet = tablets[id] else { continue }
            writeIndexSnapshot(&index, tablet: tablet)
            if index.changesSinceSnapshot == 0 { written += 1 }
            primaryIndexes.withLock { $0[id] = index }
        }
        return written
    }
}
