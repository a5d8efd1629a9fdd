import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Testing

/// Crashes a PRIMARY KEY workload (upserts and deletes, compactions, checkpoints, primary index
/// snapshots) at every mutating file-system operation, recovers, and checks (issue 13):
/// - the table equals the acknowledged loads applied in commit order (plus the load in flight,
///   all or nothing, iff its label committed): no acknowledged upsert lost, no deleted key back;
/// - no key is visible twice;
/// - each tablet's primary index (restored from its snapshot or rebuilt) equals one rebuilt
///   from the segments.
@Suite struct PrimaryKeyCrashTests {
    static let table = TableDefinition(
        name: "pk",
        columns: [
            ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
            ColumnSchema(id: 0, name: "v", type: .bigint),
        ],
        keysType: .primary, keyColumns: ["id"], distribution: Distribution(columns: ["id"], buckets: 2))

    struct Load {
        var keys: [Int]
        var ops: [UInt8]
        var values: [Int]
    }

    struct Workload {
        var seed: UInt64
        var count = 16

        var loads: [Load] {
            var rng = SeededRandom(seed: seed)
            var value = 0
            return (0..<count).map { _ in
                let rows = 1 + Int(rng.next() % 30)
                let keys = (0..<rows).map { _ in Int(rng.next() % 40) }
                let ops = keys.map { _ in UInt8(rng.next() % 3 == 0 ? 1 : 0) }
                let values = keys.map { _ in
                    value += 1
                    return value
                }
                return Load(keys: keys, ops: ops, values: values)
            }
        }

        static func apply(_ load: Load, to model: inout [Int: Int]) {
            for (i, key) in load.keys.enumerated() { model[key] = load.ops[i] == 1 ? nil : load.values[i] }
        }

        func run(_ fs: SimulatedFileSystem) -> (acknowledged: Int, inFlight: Int?) {
            var rng = SeededRandom(seed: seed ^ 0xABCD)
            var options = StorageOptions()
            options.compactionThreshold = 3
            options.maxRowsetsPerTablet = 5
            options.checkpointInterval = 6
            guard let engine = try? StorageEngine(path: "/data", fileSystem: fs, options: options) else {
                return (0, nil)
            }
            defer { engine.close() }
            do {
                try engine.createDatabase("db", ifNotExists: true)
                try engine.createTable(database: "db", PrimaryKeyCrashTests.table, ifNotExists: true)
            } catch {
                return (0, nil)
            }
            for (n, load) in loads.enumerated() {
                do {
                    let writer = try engine.makeWriter(
                        database: "db", table: "pk", options: WriteOptions(memoryLimit: 1 + Int(rng.next() % 600)))
                    let columns = [
                        ColumnVector(type: .bigint, ints: load.keys.map { Int64($0) }),
                        ColumnVector(type: .bigint, ints: load.values.map { Int64($0) }),
                    ]
                    _ = try writer.append(columns, ops: load.ops)
                    try engine.commit(try writer.finish(), label: "load-\(n)")
                } catch {
                    return (n, n)
                }
                do {
                    switch rng.next() % 5 {
                    case 0: try engine.compactDueTablets()
                    case 1: try engine.checkpoint()
                    case 2: engine.snapshotPrimaryIndexes()
                    default: break
                    }
                } catch {
                    return (n + 1, nil)
                }
            }
            return (loads.count, nil)
        }
    }

    static func contents(_ engine: StorageEngine) throws -> [Int: Int] {
        guard let table = try? engine.table(database: "db", name: "pk") else { return [:] }
        let scan = engine.scan(table, columns: [0, 1])
        var rows = [Int: Int]()
        while let batch = try scan.next() {
            for r in 0..<batch[0].count {
                let key = Int(batch[0].ints[r])
                #expect(rows[key] == nil, "key \(key) visible twice")
                rows[key] = Int(batch[1].ints[r])
            }
        }
        return rows
    }

    static func check(seed: UInt64, crashAt: Int) throws {
        let workload = Workload(seed: seed)
        let loads = workload.loads
        let fs = SimulatedFileSystem(seed: seed &* 31 &+ UInt64(crashAt))
        fs.crashAfter(operations: crashAt)
        let (acknowledged, inFlight) = workload.run(fs)
        fs.crash()
        let context = "seed \(seed), crash at operation \(crashAt)"
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        var model = [Int: Int]()
        for load in loads.prefix(acknowledged) { Workload.apply(load, to: &model) }
        if let inFlight, engine.committedLabel(database: "db", label: "load-\(inFlight)") != nil {
            Workload.apply(loads[inFlight], to: &model)
        }
        let visible = try contents(engine)
        #expect(visible == model, "table differs from the committed loads; \(context)")
        if let table = try? engine.table(database: "db", name: "pk") {
            for tablet in table.partitions.flatMap(\.tablets) {
                let live = try engine.primaryIndexRows(database: "db", table: "pk", tabletID: tablet.id)
                let rebuilt = try engine.rebuiltPrimaryIndexRows(table: table, tabletID: tablet.id)
                #expect(
                    live == rebuilt,
                    "index differs from the segments; \(context)")
            }
        }
        engine.close()
        let again = try StorageEngine(path: "/data", fileSystem: fs)
        #expect(try contents(again) == visible, "second recovery differs; \(context)")
        again.close()
    }

    @Test func survivesACrashAtEveryOperation() throws {
        let seed = SeededRandom.seedFromEnvironment(default: 20_261_204)
        let dry = SimulatedFileSystem(seed: seed)
        let (done, _) = Workload(seed: seed).run(dry)
        #expect(done == Workload(seed: seed).count)
        let total = dry.operationCount
        #expect(total > 100)
        for point in 0..<total { try Self.check(seed: seed, crashAt: point) }
    }
}
