import Foundation
import SluiceFormat
package import SluiceIO
import Synchronization

/// Settings of the storage engine.
package struct StorageOptions: Sendable {
    /// Compaction merges a tablet once it holds at least this many rowsets. Default 8.
    package var compactionThreshold = 8
    /// A merge-on-write tablet is compacted once this share of its stored rows is deleted (reads
    /// skip them, but still decode them). Default 0.2.
    package var deletedRowsCompactionRatio = 0.2
    /// A commit into a tablet with this many rowsets first compacts it (back-pressure). Default 64.
    package var maxRowsetsPerTablet = 64
    /// Journal records between automatic checkpoints. Default 10 000.
    package var checkpointInterval = 10_000
    /// Rows per segment written by compaction. Default 1 000 000.
    package var segmentRows = 1_000_000
    /// Committed labels are remembered this long, in seconds. Default 259 200 (3 days).
    package var labelKeepSeconds: Int64 = 259_200
    /// Concurrent one-phase commits share one journal sync (``GroupCommit``). Off, each commit
    /// appends and syncs alone under the engine lock (the benchmark's "before").
    package var groupCommit = true
    /// The wall clock in seconds since the epoch (injected for tests).
    package var now: @Sendable () -> Int64 = { Int64(ContinuousClockEpoch.nowSeconds()) }

    package init() {}
}

/// The columnar storage engine of one data directory.
///
/// Thread-safe. Catalog changes and commits are serialised through one lock around the metadata
/// journal; readers copy an immutable ``TableMeta`` snapshot and never wait for writers beyond
/// that copy. Files of rowsets replaced by compaction or dropped are deleted only once no scan
/// that could still read them is running (``ReadTracker``).
package final class StorageEngine: Sendable {
    package let fileSystem: any FileSystem
    package let directory: DataDirectory
    package let options: StorageOptions
    let core: Mutex<Core>
    let ids: Atomic<Int64>
    let readers = ReadTracker()
    let footers = Mutex<[String: SegmentFooter]>([:])
    /// Tablets whose directory entry this process has synced in the tablets directory.
    let durableTablets = Mutex<Set<Int64>>([])
    let groupCommit = GroupCommit()
    /// Primary indexes of merge-on-write tablets, loaded on first use. Changed only with
    /// ``writes`` held (in commit order); an index is out of the map while it changes.
    let primaryIndexes = Mutex<[Int64: PrimaryIndex]>([:])
    /// Index loads by origin (``primaryIndexLoads``).
    let indexLoads = Mutex<(restored: Int, rebuilt: Int)>((0, 0))
    /// Serialises everything that writes the journal (commits, DDL, checkpoints, close). Taken
    /// before `core`, never inside it: readers take only `core`, so they are not held up by a
    /// commit group's `fsync` or a checkpoint being written.
    let writes = NSLock()
    /// Users, roles and grants as journaled last: every statement and login reads them, so they
    /// live apart from `core` (held across a DDL's `fsync`). Set inside `core`'s lock, so writers
    /// publish in journal order; readers take only this lock.
    let publishedAccess: Mutex<AccessControl>
    /// Fenced source batches refused at prepare or commit (``sourceCommitConflicts``).
    let fenceRefusals = Atomic<Int>(0)
    private let lock: any FileLock
    /// What recovery found when the engine opened.
    package let recovery: RecoveryReport

    struct Core: ~Copyable {
        var meta: MetaState
        var journal: MetaJournal
        var closed = false
        /// A checkpoint whose journal was rotated under the lock, to be written after it.
        var pendingCheckpoint: PendingCheckpoint?
    }

    /// The state as of a journal rotation, written as `checkpoint-<sequence>` outside the lock.
    struct PendingCheckpoint {
        var state: MetaState
        var sequence: Int
        var journal: MetaJournal
    }

    /// Opens (creating if needed) the data directory at `path`: takes the lock, recovers the
    /// metadata, removes files no record references.
    /// - Throws: ``StorageError`` with code `.io` when another process holds the directory.
    package init(path: String, fileSystem: any FileSystem = PosixFileSystem(), options: StorageOptions = .init()) throws
    {
        self.fileSystem = fileSystem
        self.options = options
        self.directory = DataDirectory(root: path)
        do {
            if !fileSystem.isDirectory(path) {
                try fileSystem.createDirectory(path)
                try fileSystem.syncDirectory(FilePath.parent(path))
            }
            lock = try fileSystem.lockFile(directory.lockFile)
        } catch let error as IOError where error.code == .locked {
            throw StorageError(.io, "data directory \(path) is in use by another process", underlying: error)
        }
        do {
            try fileSystem.createDirectory(directory.tabletsDirectory)
            try fileSystem.createDirectory(directory.metaDirectory)
            try fileSystem.createDirectory(directory.errorsDirectory)
            try fileSystem.syncDirectory(path)
            var (journal, meta, report) = try MetaJournal.recover(fileSystem: fileSystem, directory: directory)
            meta.expireLabels(before: options.now() - options.labelKeepSeconds)
            report.removedOrphans = try Self.removeOrphans(fileSystem: fileSystem, directory: directory, meta: meta)
            recovery = report
            ids = Atomic(meta.nextID)
            core = Mutex(Core(meta: meta, journal: journal))
            publishedAccess = Mutex(meta.access)
        } catch {
            lock.release()
            throw error
        }
    }

    /// Deletes tablet and rowset directories that no tablet of `meta` references.
    static func removeOrphans(fileSystem: any FileSystem, directory: DataDirectory, meta: MetaState) throws -> Int {
        let tablets = meta.tabletIDs
        let rowsets = meta.referencedRowsets
        var removed = 0
        for name in try fileSystem.listDirectory(directory.tabletsDirectory) {
            let path = FilePath.join(directory.tabletsDirectory, name)
            guard let tablet = Int64(name), tablets.contains(tablet) else {
                try fileSystem.removeTree(path)
                removed += 1
                continue
            }
            for rowsetName in try fileSystem.listDirectory(path) where rowsetName != DataDirectory.primaryIndexName {
                guard let rowset = Int64(rowsetName), rowsets.contains(rowset) else {
                    try fileSystem.removeTree(FilePath.join(path, rowsetName))
                    removed += 1
                    continue
                }
            }
        }
        if removed > 0 { try fileSystem.syncDirectory(directory.tabletsDirectory) }
        // Stored files written by a CREATE FILE that crashed before its journal record.
        if fileSystem.isDirectory(directory.filesDirectory) {
            let kept = Set(meta.files.keys)
            for name in try fileSystem.listDirectory(directory.filesDirectory) {
                guard let id = Int64(name), kept.contains(id) else {
                    try fileSystem.removeFile(FilePath.join(directory.filesDirectory, name))
                    removed += 1
                    continue
                }
            }
        }
        return removed
    }

    /// A fresh id for a database, table, partition, tablet, rowset or transaction.
    package func allocateID() -> Int64 {
        ids.add(1, ordering: .relaxed).oldValue
    }

    /// The whole metadata state (a copy).
    package var metaState: MetaState { core.withLock { $0.meta } }

    /// Journals `record`, applies it and checkpoints when due. The caller holds the lock.
    func journal(_ record: JournalRecord, in core: inout Core) throws {
        guard !core.closed else { throw StorageError(.closed, "storage engine is closed") }
        do {
            try core.journal.append(record)
        } catch {
            throw StorageError(.io, "cannot write the metadata journal: \(error)", underlying: error)
        }
        switch record {
        case .commit, .commitTables:
            // Crash-only point: the commit is durable, not yet visible in memory.
            try? FaultPoints.hit("storage.after_commit_record")
        default: break
        }
        core.meta.apply(record)
        scheduleCheckpointIfDue(&core)
    }

    /// Rotates the journal when a checkpoint is due; ``write(_:)`` writes it after the lock.
    /// The records are durable and applied: a failed checkpoint must not fail them (the journal
    /// keeps growing and the next record tries again).
    func scheduleCheckpointIfDue(_ core: inout Core) {
        guard core.pendingCheckpoint == nil, core.journal.recordsSinceCheckpoint >= options.checkpointInterval else {
            return
        }
        core.pendingCheckpoint = try? beginCheckpoint(&core)
    }

    /// Starts a new journal (under the lock) and returns the checkpoint to write for it.
    func beginCheckpoint(_ core: inout Core) throws -> PendingCheckpoint {
        let sequence = try core.journal.rotate()
        return PendingCheckpoint(state: core.meta, sequence: sequence, journal: core.journal)
    }

    /// Writes a pending checkpoint, outside the engine lock (the caller holds ``writes``).
    func writePendingCheckpoint() throws {
        guard
            let pending = core.withLock({ core -> PendingCheckpoint? in
                defer { core.pendingCheckpoint = nil }
                return core.pendingCheckpoint
            })
        else { return }
        try FaultPoints.hit("storage.mid_checkpoint")
        try pending.journal.writeCheckpoint(pending.state, sequence: pending.sequence)
    }

    /// Runs a change that journals: holds ``writes`` for it, `core` only while `body` runs, and
    /// writes a checkpoint `body` made due after releasing `core`.
    func write<T>(_ body: (inout sending Core) throws -> sending T) throws -> sending T {
        writes.lock()
        defer { writes.unlock() }
        let result = try core.withLock(body)
        try? writePendingCheckpoint()
        return result
    }

    /// Writes a checkpoint now and starts a new journal.
    package func checkpoint() throws {
        writes.lock()
        defer { writes.unlock() }
        try core.withLock { core in core.pendingCheckpoint = try beginCheckpoint(&core) }
        try writePendingCheckpoint()
    }

    /// Stops accepting changes and releases the directory lock.
    package func close() {
        writes.lock()
        defer { writes.unlock() }
        if core.withLock({ !$0.closed }) { snapshotPrimaryIndexesLocked(minimumChanges: 1) }
        let wasOpen = core.withLock { core -> Bool in
            defer { core.closed = true }
            if !core.closed { core.journal.close() }
            return !core.closed
        }
        if wasOpen { lock.release() }
    }
}

/// Wall-clock seconds without Foundation.
package enum ContinuousClockEpoch {
    package static func nowSeconds() -> Int {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return ts.tv_sec
    }

    package static func nowMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec / 1000)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
