import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Testing

/// A transaction's writes into several tables (a Broker Load of several DATA INFILE clauses)
/// commit in one journal record: a crash at any point of the commit leaves all of them visible
/// under the label after the restart, or none of them and the label free.
@Suite struct MultiTableCommitCrashTests {
    static func count(_ engine: StorageEngine, _ table: String) throws -> Int {
        let scan = engine.scan(try engine.table(database: "db", name: table), columns: [0])
        var n = 0
        while let batch = try scan.next() { n += batch[0].count }
        return n
    }

    @Test func aCrashAnywhereInAMultiTableCommitIsAllOrNothing() throws {
        var committed = 0
        var lost = 0
        for point in 0..<30 {
            let fs = SimulatedFileSystem(seed: UInt64(500 + point))
            let engine = try StorageEngine(path: "/data", fileSystem: fs)
            try engine.createDatabase("db")
            try engine.createTable(database: "db", PreparedTransactionCrashTests.definition)
            var other = PreparedTransactionCrashTests.definition
            other.name = "u"
            try engine.createTable(database: "db", other)
            func write(_ table: String, _ rows: Int) throws -> PreparedWrite {
                let writer = try engine.makeWriter(database: "db", table: table)
                _ = try writer.append(PreparedTransactionCrashTests.rows(rows))
                return try writer.finish()
            }
            let parts = [try write("t", 300), try write("u", 200), try write("t", 100)]
            fs.crashAfter(operations: point)
            _ = try? engine.commit(parts, label: "multi", transactionID: engine.allocateID())
            fs.crash()
            let recovered = try StorageEngine(path: "/data", fileSystem: fs)
            defer { recovered.close() }
            let (t, u) = (try Self.count(recovered, "t"), try Self.count(recovered, "u"))
            if t == 400 && u == 200 {
                committed += 1
                #expect(recovered.committedLabel(database: "db", label: "multi")?.rowCount == 600)
            } else {
                lost += 1
                #expect(t == 0 && u == 0, "half-visible commit at crash point \(point): t \(t), u \(u)")
                #expect(recovered.committedLabel(database: "db", label: "multi") == nil)
            }
        }
        #expect(committed > 0 && lost > 0)
    }
}
