import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// Merge-on-write (PRIMARY KEY) storage: primary index, delete vectors, compaction, restarts,
/// 2PC ordering (spec table-models §2.3, §3).
@Suite struct MergeOnWriteTests {
    enum KeyShape: String, CaseIterable, Sendable {
        /// One BIGINT key: the integer index.
        case bigint
        /// VARCHAR + INT: the byte-encoded index.
        case composite
    }

    static func definition(_ shape: KeyShape, buckets: Int = 2) -> TableDefinition {
        switch shape {
        case .bigint:
            TableDefinition(
                name: "pk",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .bigint, isNullable: false),
                    ColumnSchema(id: 0, name: "v", type: .varchar(length: 16)),
                    ColumnSchema(id: 0, name: "n", type: .int),
                ],
                keysType: .primary, keyColumns: ["id"], distribution: Distribution(columns: ["id"], buckets: buckets))
        case .composite:
            TableDefinition(
                name: "pk",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .varchar(length: 16), isNullable: false),
                    ColumnSchema(id: 0, name: "part", type: .int, isNullable: false),
                    ColumnSchema(id: 0, name: "n", type: .int),
                ],
                keysType: .primary, keyColumns: ["id", "part"],
                distribution: Distribution(columns: ["id"], buckets: buckets))
        }
    }

    /// The model: key → (v, n) as text.
    typealias Model = [Int: Int]

    static func columns(_ shape: KeyShape, keys: [Int], values: [Int]) -> [ColumnVector] {
        switch shape {
        case .bigint:
            var v = ColumnVector(type: .varchar(length: 16))
            for value in values { v.append(.string("v\(value)")) }
            return [
                ColumnVector(type: .bigint, ints: keys.map { Int64($0) }), v,
                ColumnVector(type: .int, ints: values.map { Int64($0) }),
            ]
        case .composite:
            var id = ColumnVector(type: .varchar(length: 16))
            for key in keys { id.append(.string("k\(key / 3)")) }
            return [
                id, ColumnVector(type: .int, ints: keys.map { Int64($0 % 3) }),
                ColumnVector(type: .int, ints: values.map { Int64($0) }),
            ]
        }
    }

    /// Every row as key → n.
    static func contents(_ engine: StorageEngine, _ shape: KeyShape) throws -> Model {
        let table = try engine.table(database: "db", name: "pk")
        let scan = engine.scan(table, columns: [0, 1, 2])
        var result = Model()
        while let batch = try scan.next() {
            for r in 0..<batch[0].count {
                let key: Int
                switch shape {
                case .bigint: key = Int(batch[0].ints[r])
                case .composite:
                    let text = String(decoding: batch[0].byteSlice(r), as: UTF8.self)
                    key = Int(text.dropFirst())! * 3 + Int(batch[1].ints[r])
                }
                #expect(result[key] == nil, "key \(key) is visible twice")
                result[key] = Int(batch[2].ints[r])
            }
        }
        return result
    }

    /// Each tablet's live index equals one rebuilt from its segments.
    static func checkIndexes(_ engine: StorageEngine) throws {
        let table = try engine.table(database: "db", name: "pk")
        for tablet in table.partitions.flatMap(\.tablets) {
            let live = try engine.primaryIndexRows(database: "db", table: "pk", tabletID: tablet.id)
            let rebuilt = try engine.rebuiltPrimaryIndexRows(table: table, tabletID: tablet.id)
            #expect(
                live == rebuilt)
        }
    }

    @Test(arguments: KeyShape.allCases)
    func randomUpsertsAndDeletesMatchAModel(shape: KeyShape) throws {
        let fileSystem = SimulatedFileSystem()
        var options = StorageOptions()
        options.compactionThreshold = 1000
        var engine = try StorageEngine(path: "/data", fileSystem: fileSystem, options: options)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.definition(shape))
        var random = SeededRandom(seed: 13)
        var model = Model()
        var value = 0
        for load in 0..<40 {
            // Small write buffers: a load flushes several segments, so ops interleave across them.
            let writer = try engine.makeWriter(
                database: "db", table: "pk",
                options: WriteOptions(memoryLimit: Int.random(in: 1...6000, using: &random)))
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let rows = Int.random(in: 1...120, using: &random)
                let keys = (0..<rows).map { _ in Int.random(in: 0..<300, using: &random) }
                let ops = keys.map { _ in UInt8(Int.random(in: 0..<10, using: &random) < 3 ? 1 : 0) }
                let values = keys.map { _ in
                    value += 1
                    return value
                }
                #expect(try writer.append(Self.columns(shape, keys: keys, values: values), ops: ops).isEmpty)
                for (i, key) in keys.enumerated() { model[key] = ops[i] == 1 ? nil : values[i] }
            }
            try engine.commit(try writer.finish(), label: "load-\(load)")
            #expect(try Self.contents(engine, shape) == model)
            if load % 7 == 6 {
                let table = try engine.table(database: "db", name: "pk")
                for tablet in table.partitions.flatMap(\.tablets) {
                    try engine.compact(table: table, tabletID: tablet.id)
                }
                #expect(try Self.contents(engine, shape) == model)
            }
            if load % 10 == 9 {
                try Self.checkIndexes(engine)
                engine.close()
                engine = try StorageEngine(path: "/data", fileSystem: fileSystem, options: options)
                #expect(try Self.contents(engine, shape) == model)
                // close() wrote every changed index down: the restart reads them back, no rescan.
                try Self.checkIndexes(engine)
                #expect(engine.primaryIndexLoads.restored == 2)
                #expect(engine.primaryIndexLoads.rebuilt == 0)
            }
        }
        try Self.checkIndexes(engine)
        let table = try engine.table(database: "db", name: "pk")
        #expect(table.rowCount == model.count)
        engine.close()
    }

    @Test func aCommitDuringCompactionWinsOverTheCompactedRows() throws {
        let fire = Mutex<(@Sendable () -> Void)?>(nil)
        let fileSystem = SyncHookFileSystem(base: SimulatedFileSystem()) { _ in
            if let hook = fire.withLock({ h -> (@Sendable () -> Void)? in
                defer { h = nil }
                return h
            }) {
                hook()
            }
        }
        let engine = try StorageEngine(path: "/data", fileSystem: fileSystem)
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.definition(.bigint, buckets: 1))
        @Sendable func load(_ keys: [Int], _ values: [Int], ops: [UInt8]? = nil, label: String) throws {
            let writer = try engine.makeWriter(database: "db", table: "pk")
            _ = try writer.append(Self.columns(.bigint, keys: keys, values: values), ops: ops)
            try engine.commit(try writer.finish(), label: label)
        }
        try load([1, 2, 3, 4], [10, 20, 30, 40], label: "a")
        try load([2, 5], [21, 50], label: "b")
        let table = try engine.table(database: "db", name: "pk")
        let tablet = try #require(table.partitions.first?.tablets.first)
        // When compaction syncs its first file (its output, read from the old snapshot), another
        // load replaces key 1 and deletes key 3.
        fire.withLock { hook in
            hook = {
                try? load([1, 3], [11, 0], ops: [0, 1], label: "during")
            }
        }
        #expect(try engine.compact(table: table, tabletID: tablet.id))
        #expect(try Self.contents(engine, .bigint) == [1: 11, 2: 21, 4: 40, 5: 50])
        try Self.checkIndexes(engine)
        // The stale copies (keys 1 and 3 in the output) are marked deleted there.
        let after = try engine.table(database: "db", name: "pk")
        let compacted = try #require(after.partitions.first?.tablets.first?.rowsets.first)
        #expect(compacted.segments.reduce(0) { $0 + $1.deleted.count } == 2)
    }

    @Test func aPreparedTransactionTakesEffectAtCommitNotAtPrepare() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.definition(.bigint, buckets: 1))
        func write(_ keys: [Int], _ values: [Int], ops: [UInt8]? = nil) throws -> PreparedWrite {
            let writer = try engine.makeWriter(database: "db", table: "pk")
            _ = try writer.append(Self.columns(.bigint, keys: keys, values: values), ops: ops)
            return try writer.finish()
        }
        try engine.commit(try write([1, 2], [10, 20]), label: "seed")
        let prepared = try engine.prepare(
            try write([1, 2], [11, 0], ops: [0, 1]), label: "tx", transactionID: engine.allocateID(), timeoutSeconds: 60
        )
        #expect(try Self.contents(engine, .bigint) == [1: 10, 2: 20])
        try engine.commit(try write([1], [12]), label: "between")
        #expect(try Self.contents(engine, .bigint) == [1: 12, 2: 20])
        try engine.commitPrepared(transactionID: prepared.transactionID)
        #expect(try Self.contents(engine, .bigint) == [1: 11])
        try Self.checkIndexes(engine)
    }

    /// Several writes of one transaction (a Broker Load of several DATA INFILE clauses) commit in
    /// one journal record: a PRIMARY KEY table written twice (the second write upserting over the
    /// first) and another table, all visible together, all surviving a restart; a write whose
    /// table is gone fails them all and frees the label.
    @Test func severalWritesCommitAtOnceUnderOneLabel() throws {
        let fs = SimulatedFileSystem()
        var engine = try StorageEngine(path: "/data", fileSystem: fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.definition(.bigint))
        var other = Self.definition(.bigint)
        other.name = "other"
        try engine.createTable(database: "db", other)
        func write(_ table: String, _ keys: [Int], _ values: [Int], in engine: StorageEngine) throws -> PreparedWrite {
            let writer = try engine.makeWriter(database: "db", table: table)
            _ = try writer.append(Self.columns(.bigint, keys: keys, values: values), ops: nil)
            return try writer.finish()
        }
        let before = try engine.table(database: "db", name: "pk").version
        let info = try engine.commit(
            [
                try write("pk", [1, 2], [10, 20], in: engine), try write("pk", [2, 3], [21, 30], in: engine),
                try write("other", [7], [70], in: engine),
            ], label: "multi", attachment: [1, 2], transactionID: engine.allocateID())
        #expect(info.version == before + 1)
        #expect(try engine.table(database: "db", name: "pk").version == before + 2)
        #expect(try Self.contents(engine, .bigint) == [1: 10, 2: 21, 3: 30])
        let label = try #require(engine.committedLabel(database: "db", label: "multi"))
        #expect(label.rowCount == 5 && label.attachment == [1, 2])
        try Self.checkIndexes(engine)
        engine.close()
        engine = try StorageEngine(path: "/data", fileSystem: fs)
        defer { engine.close() }
        #expect(try Self.contents(engine, .bigint) == [1: 10, 2: 21, 3: 30])
        #expect(engine.committedLabel(database: "db", label: "multi")?.rowCount == 5)
        // A part whose table was dropped: nothing of the commit is visible, the label is free.
        let parts = [try write("pk", [1], [99], in: engine), try write("other", [8], [80], in: engine)]
        try engine.dropTable(database: "db", name: "other", ifExists: false)
        #expect(throws: StorageError.self) {
            try engine.commit(parts, label: "partial", transactionID: engine.allocateID())
        }
        #expect(try Self.contents(engine, .bigint) == [1: 10, 2: 21, 3: 30])
        #expect(engine.committedLabel(database: "db", label: "partial") == nil)
        try Self.checkIndexes(engine)
    }

    @Test func tabletsWithManyDeletedRowsAreCompactedByTheMaintenancePass() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(database: "db", Self.definition(.bigint, buckets: 1))
        func load(_ keys: [Int], label: String) throws {
            let writer = try engine.makeWriter(database: "db", table: "pk")
            _ = try writer.append(Self.columns(.bigint, keys: keys, values: keys))
            try engine.commit(try writer.finish(), label: label)
        }
        try load(Array(0..<100), label: "a")
        try load(Array(0..<10), label: "b")
        // 10 of 110 stored rows dead: below the 20% threshold, and only 2 rowsets.
        #expect(try engine.compactDueTablets() == 0)
        try load(Array(10..<30), label: "c")
        // 30 of 130 dead.
        #expect(try engine.compactDueTablets() == 1)
        let tablet = try #require(try engine.table(database: "db", name: "pk").partitions.first?.tablets.first)
        #expect(tablet.rowsets.count == 1)
        #expect(tablet.rowsets[0].segments.allSatisfy { $0.deleted.isEmpty && $0.kind == .data })
        #expect(try Self.contents(engine, .bigint).count == 100)
        try Self.checkIndexes(engine)
    }

    @Test func deleteVectorsRoundTripThroughTheirEncoding() throws {
        let vector = DeleteVector([7, 3, 3, 0, 1_000_000, 4_294_967_294])
        #expect(vector.rows == [0, 3, 7, 1_000_000, 4_294_967_294])
        #expect(try DeleteVector(encoded: vector.encoded) == vector)
        #expect(vector.contains(7) && !vector.contains(6))
        #expect(vector.union(DeleteVector([1, 7])).rows == [0, 1, 3, 7, 1_000_000, 4_294_967_294])
        #expect(throws: FormatError.self) { try DeleteVector(encoded: [5, 1]) }
        // FuzzJournal finding: a gap varint past Int64 trapped; a huge count reserved memory.
        let hugeGap: [UInt8] = [1] + [UInt8](repeating: 0xFF, count: 9) + [1]
        #expect(throws: FormatError.self) { try DeleteVector(encoded: hugeGap) }
        #expect(throws: FormatError.self) { try DeleteVector(encoded: [0xFF, 0xFF, 0xFF, 0xFF, 0x07, 0]) }
    }
}
