import SluiceSQL
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// INSERT is a load like any other: it goes through the process's transaction owner, so labels
/// are one namespace with Stream Load and Routine Load, and a failed INSERT is an aborted
/// transaction.
@Suite struct InsertTransactionTests {
    struct Fixture {
        let engine: StorageEngine
        let transactions: TransactionManager
        let executor: SQLExecutor
        var session: Session { Session(database: "db", nowMicros: 1_700_000_000_000_000) }

        init() throws {
            engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
            transactions = TransactionManager(engine: engine)
            executor = SQLExecutor(engine: engine, transactions: transactions)
            _ = try executor.execute("CREATE DATABASE db", session: session)
            _ = try executor.execute("CREATE TABLE t (i INT NOT NULL, s VARCHAR(3))", session: session)
        }

        @discardableResult
        func run(_ sql: String) throws(SQLError) -> [[String?]] {
            switch try executor.execute(sql, session: session) {
            case .rows(let result, _): return result.textRows
            case .ok: return []
            }
        }
    }

    @Test func insertLabelsAreSharedWithOtherLoads() throws {
        let f = try Fixture()
        defer { f.engine.close() }
        try f.run("INSERT INTO t WITH LABEL ins_1 VALUES (1, 'a')")
        #expect(try f.transactions.state(database: "db", label: "ins_1").state == .visible)
        // A Stream Load (or any load) under the INSERT's label meets the committed label.
        let clash = #expect(throws: TransactionError.self) {
            _ = try f.transactions.begin(database: "db", label: "ins_1")
        }
        #expect(clash?.code == .labelAlreadyExists)
        #expect(clash?.existingJobStatus == "FINISHED")
        // An INSERT under the label of a load still running is refused, and nothing is written.
        let running = try f.transactions.begin(database: "db", label: "stream_1")
        let refused = #expect(throws: SQLError.self) { try f.run("INSERT INTO t WITH LABEL stream_1 VALUES (2, 'b')") }
        #expect(refused?.code == .labelExists)
        #expect(refused?.message == "Label [stream_1] has already been used.")
        f.transactions.abort(running, reason: "test")
        try f.run("INSERT INTO t WITH LABEL stream_1 VALUES (2, 'b')")
        #expect(try f.run("SELECT count(*) FROM t") == [["2"]])
        #expect(try f.run("SHOW LOAD WHERE LABEL = 'stream_1'").map { $0[2] } == ["FINISHED"])
    }

    @Test func aFailedInsertAbortsItsTransaction() throws {
        let f = try Fixture()
        defer { f.engine.close() }
        let error = #expect(throws: SQLError.self) { try f.run("INSERT INTO t WITH LABEL bad_1 VALUES (1, 'toolong')") }
        #expect(error?.code == .dataQuality)
        let state = try f.transactions.state(database: "db", label: "bad_1")
        #expect(state.state == .aborted)
        #expect(state.reason?.contains("Insert has filtered data in strict mode") == true)
        #expect(f.transactions.runningCount == 0)
        // The label is free again; the corrected INSERT commits under it.
        try f.run("INSERT INTO t WITH LABEL bad_1 VALUES (1, 'ok')")
        #expect(try f.transactions.state(database: "db", label: "bad_1").state == .visible)
        #expect(try f.run("SELECT i, s FROM t") == [["1", "ok"]])
        // Generated labels go through the owner too.
        try f.run("INSERT INTO t VALUES (2, 'x')")
        #expect(f.engine.metaState.labels.values.flatMap(\.keys).contains { $0.hasPrefix("insert_") })
    }
}
