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

/// Open transactions time out on the manager's clock: a manual one here, so nothing waits.
@Suite struct TransactionLoadsTimeoutTests {
    @Test func sweepAbortsTransactionsPastTheirTimeoutsOnTheInjectedClock() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(
            database: "db", TableDefinition(name: "t", columns: [ColumnSchema(id: 0, name: "k", type: .bigint)]))
        let clock = ManualClock()
        let manager = TransactionManager(engine: engine, clock: { clock.nowMicros })
        let loads = TransactionLoads(service: LoadService(engine: engine, transactions: manager))
        #expect(
            loads.begin(database: "db", table: "t", label: "slow", timeoutSeconds: 60, idleTimeoutSeconds: nil).code
                == .ok)
        #expect(
            loads.begin(database: "db", table: "t", label: "idle", timeoutSeconds: 600, idleTimeoutSeconds: 5).code
                == .ok)
        let ticket = try loads.startLoad(
            database: "db", label: "idle", table: "t", signature: "", options: LoadOptions()
        ) { _, _ in }.get()
        try Array("1\n".utf8).withUnsafeBytes { try ticket.load.consume($0) }
        #expect(loads.endLoad(ticket).code == .ok)
        clock.advance(by: .seconds(4))
        loads.sweep()
        #expect(loads.openTransactions.count == 2)
        clock.advance(by: .seconds(2))
        loads.sweep()
        #expect(loads.openTransactions.map(\.label) == ["slow"])
        #expect(
            try manager.state(database: "db", label: "idle").reason
                == "transaction is aborted by idle timeout 5 seconds.")
        clock.advance(by: .seconds(60))
        loads.sweep()
        #expect(loads.openTransactions.isEmpty)
        #expect(try manager.state(database: "db", label: "slow").reason == "timeout by txn manager")
        // A load on a swept transaction finds it no longer open.
        let late = loads.startLoad(database: "db", label: "slow", table: "t", signature: "", options: LoadOptions()) {
            _, _ in
        }
        guard case .failure(let outcome) = late else { Issue.record("swept transaction still open"); return }
        #expect(outcome.code == .notOpen)
    }
}
