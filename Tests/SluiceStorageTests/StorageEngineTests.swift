import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Testing

@Suite struct StorageEngineTests {
    static func eventsDefinition(buckets: Int = 2) -> TableDefinition {
        TableDefinition(
            name: "events",
            columns: [
                ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
                ColumnSchema(id: 0, name: "day", type: .date),
                ColumnSchema(id: 0, name: "country", type: .varchar(length: 16)),
                ColumnSchema(id: 0, name: "amount", type: .decimal(precision: 10, scale: 2)),
            ],
            keyColumns: ["id"],
            partitioning: .range(column: "day"),
            partitions: [
                PartitionDefinition(name: "p1", upper: "2024-02-01"),
                PartitionDefinition(name: "p2", upper: "2024-03-01"),
            ],
            distribution: Distribution(columns: ["id"], buckets: buckets))
    }

    static func rows(_ ids: Range<Int>, day: String = "2024-01-15") -> [ColumnVector] {
        let d = CivilTime.parseDate(day)!
        return [
            ColumnVector(type: .bigint, ints: ids.map { Int64($0) }),
            ColumnVector(type: .date, ints: ids.map { _ in d }),
            {
                var c = ColumnVector(type: .varchar(length: 16))
                for i in ids { c.append(.string(["CN", "US", "DE"][i % 3])) }
                return c
            }(),
            ColumnVector(type: .decimal(precision: 10, scale: 2), wides: ids.map { Int128($0) * 100 + 5 }),
        ]
    }

    static func allIDs(_ engine: StorageEngine) throws -> [Int64] {
        let table = try engine.table(database: "db", name: "events")
        let scan = engine.scan(table, columns: [0])
        var ids = [Int64]()
        while let batch = try scan.next() { ids.append(contentsOf: batch[0].ints) }
        return ids.sorted()
    }

    @Test func writesCommitsAndReadsBackAcrossRestart() throws {
        let fs = SimulatedFileSystem()
        do {
            let engine = try StorageEngine(path: "/data", fileSystem: fs)
            try engine.createDatabase("db")
            try engine.createTable(database: "db", Self.eventsDefinition())
            let writer = try engine.makeWriter(database: "db", table: "events")
            #expect(try writer.append(Self.rows(0..<1000)).isEmpty)
            let info = try engine.commit(try writer.finish(), label: "l1")
            #expect(info.version == 2)
            #expect(try Self.allIDs(engine) == (0..<1000).map { Int64($0) })
            engine.close()
        }
        let reopened = try StorageEngine(path: "/data", fileSystem: fs)
        #expect(try Self.allIDs(reopened) == (0..<1000).map { Int64($0) })
        #expect(reopened.committedLabel(database: "db", label: "l1") != nil)
    }

    @Test func rejectsRowsOutsideEveryPartitionAndDuplicateLabels() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.eventsDefinition())
        let writer = try engine.makeWriter(database: "db", table: "events")
        let rejected = try writer.append(Self.rows(0..<3, day: "2025-01-01"))
        #expect(rejected.count == 3)
        _ = try writer.append(Self.rows(3..<5))
        try engine.commit(try writer.finish(), label: "dup")
        let second = try engine.makeWriter(database: "db", table: "events")
        _ = try second.append(Self.rows(5..<6))
        #expect(throws: StorageError.self) { try engine.commit(try second.finish(), label: "dup") }
    }

    @Test func aSecondEngineCannotOpenTheSameDirectory() throws {
        let fs = SimulatedFileSystem()
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        #expect(throws: StorageError.self) { _ = try StorageEngine(path: "/data", fileSystem: fs) }
        engine.close()
        _ = try StorageEngine(path: "/data", fileSystem: fs)
    }

    @Test func compactionKeepsResultsAndBoundsRowsets() throws {
        var options = StorageOptions()
        options.maxRowsetsPerTablet = 5
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem(), options: options)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.eventsDefinition(buckets: 1))
        for i in 0..<20 {
            let writer = try engine.makeWriter(database: "db", table: "events")
            _ = try writer.append(Self.rows((i * 10)..<(i * 10 + 10)))
            try engine.commit(try writer.finish(), label: "l\(i)")
        }
        let table = try engine.table(database: "db", name: "events")
        let rowsets = table.partitions.flatMap(\.tablets).map(\.rowsets.count).max() ?? 0
        #expect(rowsets <= 5)
        #expect(try Self.allIDs(engine) == (0..<200).map { Int64($0) })
        try engine.compactDueTablets()
        #expect(try Self.allIDs(engine) == (0..<200).map { Int64($0) })
    }

    @Test func zoneMapsPrunePages() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.eventsDefinition(buckets: 1))
        let writer = try engine.makeWriter(database: "db", table: "events")
        _ = try writer.append(Self.rows(0..<100_000))
        try engine.commit(try writer.finish(), label: "big")
        let table = try engine.table(database: "db", name: "events")
        let scan = engine.scan(
            table, columns: [0], predicates: [ScanPredicate(column: 0, lower: .int(50_000), upper: .int(50_999))])
        var matched = 0
        while let batch = try scan.next() { matched += batch[0].ints.filter { (50_000...50_999).contains($0) }.count }
        #expect(matched == 1000)
        #expect(scan.statistics.rows < 20_000)
    }

    @Test func corruptSegmentIsReportedWithFileAndOffset() throws {
        let fs = PosixFileSystem()
        let dir = "/tmp/sluice-corrupt-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? fs.removeTree(dir) }
        let engine = try StorageEngine(path: dir, fileSystem: fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.eventsDefinition(buckets: 1))
        let writer = try engine.makeWriter(database: "db", table: "events")
        _ = try writer.append(Self.rows(0..<100))
        let prepared = try writer.finish()
        try engine.commit(prepared, label: "x")
        let (tablet, rowset) = prepared.rowsets.first!
        let path = "\(dir)/tablets/\(tablet)/\(rowset.id)/0.seg"
        var bytes = try fs.readFile(path)
        bytes[10] ^= 0xFF
        let file = try fs.createFile(path)
        try file.append(bytes)
        try file.close()
        let table = try engine.table(database: "db", name: "events")
        let scan = engine.scan(table, columns: [0])
        do {
            while try scan.next() != nil {}
            Issue.record("corruption not detected")
        } catch let error as StorageError {
            #expect(error.code == .corruption)
            #expect(error.message.contains(path))
            #expect(error.message.contains("offset"))
        }
    }
}
