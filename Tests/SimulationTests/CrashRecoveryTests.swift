import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Testing

/// Crashes the engine at every mutating file-system operation of a seeded workload (inserts,
/// compactions, checkpoints, partition changes), drops what was not synced (tearing unsynced
/// tails), recovers, and checks the invariants:
/// - every acknowledged batch is visible exactly once, with its label;
/// - the batch in flight at the crash is all-or-nothing, and visible iff its label committed;
/// - nothing else is visible; recovery twice equals recovery once; no orphan files remain.
@Suite struct CrashRecoveryTests {
    static let table = TableDefinition(
        name: "t",
        columns: [
            ColumnSchema(id: 0, name: "batch", type: .bigint, isNullable: false),
            ColumnSchema(id: 0, name: "day", type: .date),
            ColumnSchema(id: 0, name: "payload", type: .varchar(length: 32)),
        ],
        keyColumns: ["batch"],
        partitioning: .dateTrunc(unit: .day, column: "day"),
        distribution: Distribution(columns: ["batch"], buckets: 2))

    struct Workload {
        var seed: UInt64
        var batches = 24

        func batchRows(_ b: Int) -> Int { 1 + (b * 7 + Int(seed % 13)) % 40 }

        func columns(_ b: Int) -> [ColumnVector] {
            let n = batchRows(b)
            var payload = ColumnVector(type: .varchar(length: 32))
            for i in 0..<n { payload.append(.string("b\(b)-r\(i)")) }
            return [
                ColumnVector(type: .bigint, ints: Array(repeating: Int64(b), count: n)),
                ColumnVector(type: .date, ints: (0..<n).map { Int64(19_000 + (b + $0) % 3) }),
                payload,
            ]
        }

        /// Runs until done or until the file system "dies". Returns acknowledged batches and the
        /// batch that was in flight. With `pastFailures`, a failed batch or maintenance step is
        /// noted and the workload goes on (a disk that fills up and frees again).
        func run(_ fs: SimulatedFileSystem, pastFailures: Bool = false) -> (acknowledged: Set<Int>, inFlight: Int?) {
            var acknowledged = Set<Int>()
            var rng = SeededRandom(seed: seed)
            var options = StorageOptions()
            options.compactionThreshold = 3
            options.maxRowsetsPerTablet = 6
            options.checkpointInterval = 7
            guard let engine = try? StorageEngine(path: "/data", fileSystem: fs, options: options) else {
                return ([], nil)
            }
            defer { engine.close() }
            do {
                try engine.createDatabase("db", ifNotExists: true)
                try engine.createTable(database: "db", CrashRecoveryTests.table, ifNotExists: true)
            } catch {
                return ([], nil)
            }
            for b in 0..<batches {
                do {
                    let writer = try engine.makeWriter(database: "db", table: "t")
                    _ = try writer.append(columns(b))
                    try engine.commit(try writer.finish(), label: "batch-\(b)")
                    acknowledged.insert(b)
                } catch {
                    if pastFailures { continue }
                    return (acknowledged, b)
                }
                do {
                    switch rng.next() % 6 {
                    case 0: try engine.compactDueTablets()
                    case 1: try engine.checkpoint()
                    default: break
                    }
                } catch {
                    if pastFailures { continue }
                    return (acknowledged, nil)
                }
            }
            return (acknowledged, nil)
        }
    }

    /// Rows per batch id currently visible.
    static func visibleBatches(_ engine: StorageEngine) throws -> [Int64: Int] {
        guard let table = try? engine.table(database: "db", name: "t") else { return [:] }
        let scan = engine.scan(table, columns: [0])
        var counts = [Int64: Int]()
        while let batch = try scan.next() { for b in batch[0].ints { counts[b, default: 0] += 1 } }
        return counts
    }

    static func check(seed: UInt64, crashAt: Int) throws {
        let workload = Workload(seed: seed)
        let fs = SimulatedFileSystem(seed: seed &* 31 &+ UInt64(crashAt))
        fs.crashAfter(operations: crashAt)
        let (acknowledged, inFlight) = workload.run(fs)
        fs.crash()
        let context = "seed \(seed), crash at operation \(crashAt)"
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        let visible = try visibleBatches(engine)
        for b in acknowledged {
            #expect(
                visible[Int64(b)] == workload.batchRows(b), "acknowledged batch \(b) lost or duplicated; \(context)")
            #expect(
                engine.committedLabel(database: "db", label: "batch-\(b)") != nil,
                "label of batch \(b) lost; \(context)")
        }
        for (b, rows) in visible where !acknowledged.contains(Int(b)) {
            #expect(Int(b) == inFlight, "batch \(b) visible but never acknowledged nor in flight; \(context)")
            #expect(rows == workload.batchRows(Int(b)), "in-flight batch \(b) partially visible; \(context)")
            #expect(engine.committedLabel(database: "db", label: "batch-\(b)") != nil, "rows without label; \(context)")
        }
        if let inFlight, visible[Int64(inFlight)] == nil {
            #expect(
                engine.committedLabel(database: "db", label: "batch-\(inFlight)") == nil,
                "label without rows; \(context)")
        }
        // No orphans: every rowset directory on disk is referenced.
        let referenced = engine.metaState.referencedRowsets
        for tablet in try fs.listDirectory("/data/tablets") {
            for rowset in try fs.listDirectory("/data/tablets/\(tablet)") {
                #expect(referenced.contains(Int64(rowset) ?? -1), "orphan rowset \(tablet)/\(rowset); \(context)")
            }
        }
        engine.close()
        // Recovering again changes nothing.
        let again = try StorageEngine(path: "/data", fileSystem: fs)
        #expect(try visibleBatches(again) == visible, "second recovery differs; \(context)")
        again.close()
    }

    @Test func survivesACrashAtEveryOperation() throws {
        let base = SeededRandom.seedFromEnvironment(default: 20_261_122)
        var crashPoints = 0
        var seed = base
        while crashPoints < 1_000 {
            let dry = SimulatedFileSystem(seed: seed)
            _ = Workload(seed: seed).run(dry)
            let total = dry.operationCount
            // Every operation for the first seed, then a spread of points for the following ones.
            let stride = crashPoints == 0 ? 1 : max(1, total / 150)
            for point in Swift.stride(from: 0, to: total, by: stride) {
                try Self.check(seed: seed, crashAt: point)
                crashPoints += 1
            }
            seed &+= 1
        }
        #expect(crashPoints >= 1_000)
    }

    /// D10: the disk fills up at every write of the workload (journal appends, segment files,
    /// checkpoints; each failing write first stores part of its bytes), frees up again one to
    /// three writes later, and the workload goes on. After a crash and recovery every
    /// acknowledged batch is visible exactly once and no failed batch is visible at all.
    @Test func survivesAFullDiskAtEveryWrite() throws {
        let base = SeededRandom.seedFromEnvironment(default: 20_261_204)
        var points = 0
        for seed in base..<(base + 3) {
            let workload = Workload(seed: seed)
            let dry = SimulatedFileSystem(seed: seed)
            _ = workload.run(dry)
            let total = dry.writeCount
            let stride = seed == base ? 1 : max(1, total / 60)
            for point in Swift.stride(from: 0, to: total, by: stride) {
                let context = "seed \(seed), disk full at write \(point)"
                let fs = SimulatedFileSystem(seed: seed &* 17 &+ UInt64(point))
                fs.failAfter(writes: point, count: 1 + point % 3, shortWrites: true)
                let (acknowledged, _) = workload.run(fs, pastFailures: true)
                try #require(fs.failedWrites > 0, "no write failed; \(context)")
                fs.failAfter(writes: nil)  // the disk has room again
                if point % 2 == 0 { fs.crash() }
                let engine: StorageEngine
                do {
                    engine = try StorageEngine(path: "/data", fileSystem: fs)
                } catch {
                    Issue.record("recovery failed: \(error); \(context)")
                    return
                }
                let visible = try Self.visibleBatches(engine)
                for b in acknowledged {
                    #expect(visible[Int64(b)] == workload.batchRows(b), "acknowledged batch \(b) lost; \(context)")
                }
                for b in visible.keys {
                    #expect(acknowledged.contains(Int(b)), "failed batch \(b) visible; \(context)")
                }
                engine.close()
                let check = try DataDirectoryCheck.run(path: "/data", fileSystem: fs)
                #expect(check.isClean, "fsck: \(check.problems); \(context)")
                points += 1
            }
        }
        #expect(points > 100)
    }
}
