import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// Two-phase commit across crashes: PREPARED data survives a restart invisibly and is then
/// committed exactly once or rolled back; a crash during the commit leaves either the committed
/// transaction (with its attachment) or the PREPARED one, never half of it.
@Suite struct PreparedTransactionCrashTests {
    static let definition = TableDefinition(
        name: "t",
        columns: [
            ColumnSchema(id: 0, name: "k", type: .bigint, isNullable: false),
            ColumnSchema(id: 0, name: "v", type: .string),
        ],
        keyColumns: ["k"], distribution: Distribution(columns: ["k"], buckets: 3))

    static func open(_ fs: SimulatedFileSystem) throws -> StorageEngine {
        try StorageEngine(path: "/data", fileSystem: fs)
    }

    static func rows(_ n: Int) -> [ColumnVector] {
        var v = ColumnVector(type: .string)
        for i in 0..<n { v.append(.string("v\(i)")) }
        return [ColumnVector(type: .bigint, ints: (0..<n).map { Int64($0) }), v]
    }

    static func count(_ engine: StorageEngine) throws -> Int {
        let scan = engine.scan(try engine.table(database: "db", name: "t"), columns: [0])
        var n = 0
        while let batch = try scan.next() { n += batch[0].count }
        return n
    }

    /// Prepares 500 rows under label "p" with an attachment; returns the file system after a crash.
    static func preparedThenCrashed(seed: UInt64) throws -> (SimulatedFileSystem, Int64) {
        let fs = SimulatedFileSystem(seed: seed)
        let engine = try open(fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", definition)
        let transactions = TransactionManager(engine: engine)
        let txn = try transactions.begin(database: "db", label: "p")
        let writer = try engine.makeWriter(database: "db", table: "t")
        _ = try writer.append(rows(500))
        _ = try transactions.prepare(
            txn, write: try writer.finish(), attachment: Array("offsets:42".utf8), timeoutSeconds: 3600)
        #expect(try count(engine) == 0)
        fs.crash()
        return (fs, txn.id)
    }

    @Test func preparedSurvivesARestartThenCommitsOnce() throws {
        let (fs, id) = try Self.preparedThenCrashed(seed: 1)
        let engine = try Self.open(fs)
        let transactions = TransactionManager(engine: engine)
        #expect(try Self.count(engine) == 0)
        #expect(try transactions.state(database: "db", label: "p").state == .prepared)
        #expect(throws: TransactionError.self) { _ = try transactions.begin(database: "db", label: "p") }
        let prepared = try #require(try transactions.preparedTransaction(database: "db", label: "p"))
        #expect(prepared.transactionID == id)
        try transactions.commitPrepared(prepared)
        #expect(try Self.count(engine) == 500)
        #expect(engine.committedLabel(database: "db", label: "p")?.attachment == Array("offsets:42".utf8))
        #expect(throws: StorageError.self) { try engine.commitPrepared(transactionID: id) }
        engine.close()
        let again = try Self.open(fs)
        #expect(try Self.count(again) == 500)
        #expect(again.preparedTransactions.isEmpty)
    }

    @Test func preparedSurvivesARestartThenRollsBack() throws {
        let (fs, _) = try Self.preparedThenCrashed(seed: 2)
        let engine = try Self.open(fs)
        let transactions = TransactionManager(engine: engine)
        let prepared = try #require(try transactions.preparedTransaction(database: "db", label: "p"))
        try transactions.abortPrepared(prepared, reason: "User Aborted")
        #expect(try transactions.state(database: "db", label: "p").state == .aborted)
        engine.close()
        let again = try Self.open(fs)
        #expect(try Self.count(again) == 0)
        #expect(again.preparedTransactions.isEmpty)
        #expect(
            try fs.listDirectory("/data/tablets").allSatisfy { try fs.listDirectory("/data/tablets/\($0)").isEmpty })
        // The label is free again.
        let reuse = try TransactionManager(engine: again).begin(database: "db", label: "p")
        #expect(reuse.label == "p")
    }

    @Test func aCrashAnywhereInTheCommitIsAllOrNothing() throws {
        var committed = 0, stillPrepared = 0
        for point in 0..<40 {
            let (fs, id) = try Self.preparedThenCrashed(seed: UInt64(100 + point))
            let engine = try Self.open(fs)
            fs.crashAfter(operations: point)
            _ = try? engine.commitPrepared(transactionID: id)
            fs.crash()
            let recovered = try Self.open(fs)
            let rows = try Self.count(recovered)
            if rows == 500 {
                committed += 1
                #expect(recovered.committedLabel(database: "db", label: "p")?.attachment == Array("offsets:42".utf8))
                #expect(recovered.preparedTransactions.isEmpty)
            } else {
                stillPrepared += 1
                #expect(rows == 0, "half-visible commit at crash point \(point)")
                #expect(recovered.preparedTransactions.map(\.transactionID) == [id])
                try recovered.commitPrepared(transactionID: id)
                #expect(try Self.count(recovered) == 500)
            }
        }
        #expect(committed > 0 && stillPrepared > 0)
    }

    @Test func expiredPreparedTransactionsAreAborted() throws {
        let (fs, _) = try Self.preparedThenCrashed(seed: 3)
        let engine = try Self.open(fs)
        let transactions = TransactionManager(engine: engine)
        transactions.abortExpiredPrepared(nowSeconds: Int64(ContinuousClockEpoch.nowSeconds()) + 3601)
        let state = try transactions.state(database: "db", label: "p")
        #expect(state.state == .aborted)
        #expect(state.reason == "timeout by txn manager")
    }
}
