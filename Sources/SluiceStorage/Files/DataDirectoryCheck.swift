import SluiceFormat
package import SluiceIO

/// What ``DataDirectoryCheck`` found.
package struct CheckReport: Sendable {
    /// Everything that is wrong: missing or damaged files, orphans, an unreadable journal.
    package var problems: [String] = []
    /// Things worth knowing that are not damage (a torn journal tail left by a crash).
    package var notes: [String] = []
    package var journalRecords = 0
    package var segmentsChecked = 0
    package var bytesChecked = 0
    package var tables = 0
    package var routineLoadJobs = 0

    package var isClean: Bool { problems.isEmpty }
}

/// `sluice fsck`: verifies a stopped data directory without changing it — the journal replays,
/// every file a record references exists with its recorded size and checksum, and no file is
/// left that no record references.
package enum DataDirectoryCheck {
    /// - Throws: ``StorageError`` `.io` when a running process holds the directory.
    package static func run(path: String, fileSystem: any FileSystem = PosixFileSystem()) throws -> CheckReport {
        let directory = DataDirectory(root: path)
        var report = CheckReport()
        guard fileSystem.isDirectory(path) else {
            report.problems.append("\(path) is not a directory")
            return report
        }
        let lock: any FileLock
        do {
            lock = try fileSystem.lockFile(directory.lockFile)
        } catch let error as IOError where error.code == .locked {
            throw StorageError(
                .io, "data directory \(path) is in use by another process; stop it first", underlying: error)
        }
        defer { lock.release() }

        let meta: MetaState
        do {
            let (state, recovery, _, _) = try MetaJournal.read(fileSystem: fileSystem, directory: directory)
            meta = state
            report.journalRecords = recovery.replayedRecords
            if recovery.tornBytes > 0 {
                report.notes.append(
                    "journal ends with \(recovery.tornBytes) torn bytes (a crash while appending; ignored by recovery)")
            }
            if recovery.discardedCheckpoints > 0 {
                report.problems.append("\(recovery.discardedCheckpoints) checkpoint(s) do not read back")
            }
        } catch {
            report.problems.append("metadata journal: \(error)")
            return report
        }
        report.tables = meta.databases.values.reduce(0) { $0 + $1.tables.count }
        report.routineLoadJobs = meta.jobs.count

        // Every referenced segment: present, recorded size and checksum, readable footer.
        var expected = [Int64: [Int64: [SegmentMeta]]]()
        for db in meta.databases.values {
            for table in db.tables.values {
                for partition in table.partitions {
                    for tablet in partition.tablets {
                        // An empty tablet is expected too (its directory is not an orphan).
                        expected[tablet.id] = Dictionary(
                            uniqueKeysWithValues: tablet.rowsets.map { ($0.id, $0.segments) })
                    }
                }
            }
        }
        for prepared in meta.prepared.values {
            for (tablet, rowset) in prepared.rowsets { expected[tablet, default: [:]][rowset.id] = rowset.segments }
        }
        for (tablet, rowsets) in expected {
            for (rowset, segments) in rowsets {
                for segment in segments {
                    check(
                        segment, path: directory.segment(tablet: tablet, rowset: rowset, index: segment.index),
                        fileSystem: fileSystem, report: &report)
                }
            }
        }

        checkMergeOnWrite(meta: meta, path: path, fileSystem: fileSystem, report: &report)

        // Nothing on disk that no record references.
        let tabletNames = (try? fileSystem.listDirectory(directory.tabletsDirectory)) ?? []
        for name in tabletNames.sorted() {
            let tabletPath = FilePath.join(directory.tabletsDirectory, name)
            guard let tablet = Int64(name), let rowsets = expected[tablet] else {
                report.problems.append("orphan: \(tabletPath) belongs to no table")
                continue
            }
            for rowsetName in ((try? fileSystem.listDirectory(tabletPath)) ?? []).sorted()
            where rowsetName != DataDirectory.primaryIndexName {
                let rowsetPath = FilePath.join(tabletPath, rowsetName)
                guard let rowset = Int64(rowsetName), let segments = rowsets[rowset] else {
                    report.problems.append("orphan: \(rowsetPath) belongs to no rowset of the tablet")
                    continue
                }
                let known = Set(
                    segments.map { FilePath.name(directory.segment(tablet: tablet, rowset: rowset, index: $0.index)) })
                for file in ((try? fileSystem.listDirectory(rowsetPath)) ?? []).sorted() where !known.contains(file) {
                    report.problems.append("orphan: \(FilePath.join(rowsetPath, file)) is not a segment of the rowset")
                }
            }
        }
        for name in ((try? fileSystem.listDirectory(directory.metaDirectory)) ?? []).sorted()
        where name.hasSuffix(".tmp") {
            report.problems.append("orphan: \(FilePath.join(directory.metaDirectory, name)) (an unfinished checkpoint)")
        }
        return report
    }

    /// Merge-on-write tablets: delete vectors name rows their segments have, no key is live in two
    /// rows, and the primary index snapshot (when there is one) agrees with the segments.
    private static func checkMergeOnWrite(
        meta: MetaState, path: String, fileSystem: any FileSystem, report: inout CheckReport
    ) {
        let tables = meta.databases.values.flatMap(\.tables.values).filter { $0.keysType.mergesOnWrite }
        guard !tables.isEmpty, report.problems.isEmpty else { return }
        let reader = SegmentColumnReader(fileSystem: fileSystem, directory: DataDirectory(root: path))
        for table in tables {
            let layout = PrimaryKeyLayout(table: table)
            let keyColumns = layout.columns.map { table.schema.columns[$0] }
            for tablet in table.partitions.flatMap(\.tablets) {
                for rowset in tablet.rowsets {
                    for segment in rowset.segments
                    where segment.deleted.rows.last.map({ Int($0) >= segment.rowCount }) ?? false {
                        report.problems.append(
                            "delete vector of tablet \(tablet.id) rowset \(rowset.id) segment \(segment.index) names row \(segment.deleted.rows.last!) of \(segment.rowCount)"
                        )
                    }
                }
                do {
                    let read = { (rowset: RowsetMeta, segment: SegmentMeta) in
                        layout.encode(
                            try reader.read(tablet: tablet.id, rowset: rowset.id, segment: segment, columns: keyColumns)
                        )
                    }
                    var rebuilt = PrimaryIndex(layout: layout, capacity: tablet.rowCount)
                    if let duplicate = try rebuilt.addLiveRows(of: tablet, readKeys: read) {
                        report.problems.append(PrimaryIndex.duplicateMessage(tablet: tablet.id, duplicate))
                        continue
                    }
                    let snapshotPath = DataDirectory(root: path).primaryIndex(tablet: tablet.id)
                    if fileSystem.fileExists(snapshotPath) {
                        let snapshot = try IndexSnapshot.decode(try fileSystem.readFile(snapshotPath))
                        let restored = try PrimaryIndex.restore(
                            snapshot, tablet: tablet, layout: layout, readKeys: read)
                        if let restored, restored.rows() != rebuilt.rows() {
                            report.problems.append(
                                "primary index snapshot of tablet \(tablet.id) disagrees with its segments (remove \(snapshotPath); it is rebuilt on the next write)"
                            )
                        } else if restored == nil {
                            report.notes.append(
                                "primary index snapshot of tablet \(tablet.id) is older than a compaction (ignored; rebuilt on the next write)"
                            )
                        }
                    }
                } catch {
                    report.problems.append("primary index of tablet \(tablet.id): \(error)")
                }
            }
        }
    }

    private static func check(
        _ segment: SegmentMeta, path: String, fileSystem: any FileSystem, report: inout CheckReport
    ) {
        let bytes: [UInt8]
        do {
            bytes = try fileSystem.readFile(path)
        } catch {
            report.problems.append("missing: \(path) (\(error))")
            return
        }
        report.segmentsChecked += 1
        report.bytesChecked += bytes.count
        guard bytes.count == segment.byteCount else {
            report.problems.append(
                "damaged: \(path) has \(bytes.count) bytes, the journal recorded \(segment.byteCount)")
            return
        }
        guard CRC32C.checksum(bytes) == segment.checksum else {
            report.problems.append("damaged: \(path) fails its checksum")
            return
        }
        do {
            let footer = try SegmentReader.footer(fileSize: bytes.count) { offset, length in
                Array(bytes[offset..<(offset + length)])
            }
            if footer.rowCount != segment.rowCount {
                report.problems.append(
                    "damaged: \(path) holds \(footer.rowCount) rows, the journal recorded \(segment.rowCount)")
            }
        } catch {
            report.problems.append("damaged: \(path): \(error)")
        }
    }
}
