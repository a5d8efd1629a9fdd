import SluiceFormat
import SluiceLoad
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// The in-process transaction API (what Routine Load calls): no HTTP hop.
@Suite struct TransactionLoadsTests {
    @Test func loadPrepareCommitWithAnAttachment() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db",
            TableDefinition(
                name: "t",
                columns: [ColumnSchema(id: 0, name: "k", type: .bigint), ColumnSchema(id: 0, name: "v", type: .string)])
        )
        let loads = TransactionLoads(
            service: LoadService(engine: engine, transactions: TransactionManager(engine: engine)))
        #expect(
            loads.begin(database: "db", table: "t", label: "job-1", timeoutSeconds: 60, idleTimeoutSeconds: nil).code
                == .ok)
        var options = LoadOptions()
        options.columnSeparator = [44]
        let ticket = try loads.startLoad(database: "db", label: "job-1", table: "t", signature: "csv", options: options)
        { _, _ in }.get()
        try Array("1,a\n2,b\n".utf8).withUnsafeBytes { try ticket.load.consume($0) }
        #expect(loads.endLoad(ticket).requestBytes == 8)
        let prepared = loads.prepare(
            database: "db", label: "job-1", timeoutSeconds: 60, attachment: Array("p0:0-1".utf8))
        #expect(prepared.code == .ok)
        #expect(prepared.result?.counters.loadedRows == 2)
        #expect(loads.commit(database: "db", label: "job-1").code == .settled)
        #expect(engine.committedLabel(database: "db", label: "job-1")?.attachment == Array("p0:0-1".utf8))
        let again = loads.commit(database: "db", label: "job-1")
        #expect(again.code == .settled)
        #expect(again.message.contains("has already committed"))
    }
}
