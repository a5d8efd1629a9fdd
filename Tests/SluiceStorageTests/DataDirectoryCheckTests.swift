import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Testing

/// `sluice fsck`: a clean directory has no problems; a damaged, missing or orphan file is named.
@Suite struct DataDirectoryCheckTests {
    /// A stopped directory with two committed loads; returns the file system and one segment path.
    static func directory() throws -> (SimulatedFileSystem, String) {
        let fs = SimulatedFileSystem()
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition())
        for (i, label) in ["a", "b"].enumerated() {
            let writer = try engine.makeWriter(database: "db", table: "events")
            _ = try writer.append(StorageEngineTests.rows((i * 100)..<(i * 100 + 100)))
            try engine.commit(try writer.finish(), label: label)
        }
        let table = try engine.table(database: "db", name: "events")
        let tablet = try #require(table.partitions.flatMap(\.tablets).first { !$0.rowsets.isEmpty })
        let path = engine.directory.segment(tablet: tablet.id, rowset: tablet.rowsets[0].id, index: 0)
        engine.close()
        return (fs, path)
    }

    @Test func cleanDirectoryHasNoProblems() throws {
        let (fs, _) = try Self.directory()
        let report = try DataDirectoryCheck.run(path: "/data", fileSystem: fs)
        #expect(report.problems == [])
        #expect(report.segmentsChecked >= 2)
        #expect(report.tables == 1)
    }

    @Test func damagedMissingAndOrphanFilesAreNamed() throws {
        let (fs, segment) = try Self.directory()
        var bytes = try fs.readFile(segment)
        bytes[bytes.count / 2] ^= 0xFF
        let file = try fs.createFile(segment)
        try file.append(bytes)
        try file.sync()
        try file.close()
        try fs.createDirectory("/data/tablets/424242")
        var report = try DataDirectoryCheck.run(path: "/data", fileSystem: fs)
        #expect(report.problems.contains("damaged: \(segment) fails its checksum"))
        #expect(report.problems.contains("orphan: /data/tablets/424242 belongs to no table"))
        try fs.removeFile(segment)
        report = try DataDirectoryCheck.run(path: "/data", fileSystem: fs)
        #expect(report.problems.contains { $0.hasPrefix("missing: \(segment)") })
    }

    @Test func aRunningDirectoryIsRefused() throws {
        let (fs, _) = try Self.directory()
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        defer { engine.close() }
        #expect(throws: StorageError.self) { _ = try DataDirectoryCheck.run(path: "/data", fileSystem: fs) }
    }

    /// D10's damage (a torn journal frame with acknowledged records after it): the engine refuses
    /// to open and names it, and fsck reports it, instead of silently dropping the later records.
    @Test func aTornFrameBeforeIntactRecordsRefusesToStart() throws {
        let (fs, _) = try Self.directory()
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        try engine.createDatabase("second")
        try engine.createDatabase("third")
        engine.close()
        let newest = "/data/meta/" + (try fs.listDirectory("/data/meta").filter { $0.hasPrefix("journal") }.last!)
        let log = try RecordLogReader.read(fileSystem: fs, path: newest)
        try #require(log.records.count == 2)
        var bytes = try fs.readFile(newest)
        // Damage the first record's payload: it no longer passes its CRC, the second one does.
        bytes[log.records[0].offset + 12] ^= 0x5A
        let file = try fs.createFile(newest)
        try file.append(bytes)
        try file.sync()
        let error = #expect(throws: StorageError.self) { _ = try StorageEngine(path: "/data", fileSystem: fs) }
        #expect(error?.code == .corruption)
        #expect(error?.message.contains("followed by 1 intact record") == true)
        let report = try DataDirectoryCheck.run(path: "/data", fileSystem: fs)
        #expect(report.problems.contains { $0.contains("is damaged: a torn record at byte 0") })
    }

    /// Whether every journal of `/data` reads back without torn or damaged frames.
    static func journalIsClean(_ fs: SimulatedFileSystem) throws -> Bool {
        for name in try fs.listDirectory("/data/meta") where name.hasPrefix("journal") {
            let log = try RecordLogReader.read(fileSystem: fs, path: "/data/meta/" + name)
            if log.tornBytes > 0 || log.corruptionOffset != nil { return false }
        }
        return true
    }
}

/// fsck on merge-on-write tables: delete vectors and the primary index snapshot are checked
/// against the segments.
@Suite struct MergeOnWriteCheckTests {
    @Test func primaryKeyTabletsAreCheckedAndADamagedIndexSnapshotIsNamed() throws {
        let fs = SimulatedFileSystem()
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", MergeOnWriteTests.definition(.bigint, buckets: 1))
        for (i, label) in ["a", "b", "c"].enumerated() {
            let writer = try engine.makeWriter(database: "db", table: "pk")
            let keys = Array((i * 5)..<(i * 5 + 10))
            _ = try writer.append(
                MergeOnWriteTests.columns(.bigint, keys: keys, values: keys),
                ops: keys.map { UInt8($0 % 4 == 0 ? 1 : 0) })
            try engine.commit(try writer.finish(), label: label)
        }
        let tablet = try #require(try engine.table(database: "db", name: "pk").partitions.first?.tablets.first)
        #expect(tablet.rowsets.contains { $0.segments.contains { !$0.deleted.isEmpty } })
        engine.close()
        let clean = try DataDirectoryCheck.run(path: "/data", fileSystem: fs)
        #expect(clean.problems == [])
        let snapshot = "/data/tablets/\(tablet.id)/primary-index"
        var bytes = try fs.readFile(snapshot)
        bytes[bytes.count / 2] ^= 0x40
        let file = try fs.createFile(snapshot)
        try file.append(bytes)
        try file.close()
        let damaged = try DataDirectoryCheck.run(path: "/data", fileSystem: fs)
        #expect(damaged.problems.contains { $0.contains("primary index of tablet \(tablet.id)") })
        // The engine ignores a snapshot that does not read back and rebuilds the index.
        let reopened = try StorageEngine(path: "/data", fileSystem: fs)
        defer { reopened.close() }
        #expect(try MergeOnWriteTests.contents(reopened, .bigint).count == 15)
        _ = try reopened.primaryIndexRows(database: "db", table: "pk", tabletID: tablet.id)
        #expect(reopened.primaryIndexLoads.rebuilt == 1)
    }
}
