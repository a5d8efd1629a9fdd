import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// Running transactions: labels are held while running, freed by an abort, refused when taken.
@Suite struct TransactionManagerTests {
    static func manager() throws -> (StorageEngine, TransactionManager) {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        try engine.createDatabase("db")
        return (engine, TransactionManager(engine: engine))
    }

    @Test func aRunningLabelIsHeldAndAnAbortFreesIt() throws {
        let (engine, manager) = try Self.manager()
        defer { engine.close() }
        let first = try manager.begin(database: "db", label: "l1")
        #expect(manager.runningCount == 1)
        let clash = #expect(throws: TransactionError.self) { _ = try manager.begin(database: "db", label: "l1") }
        #expect(clash?.code == .labelAlreadyExists)
        #expect(clash?.existingJobStatus == "RUNNING")
        #expect(try manager.state(database: "db", label: "l1").state == .prepare)
        manager.abort(first, reason: "test")
        #expect(manager.runningCount == 0)
        #expect(try manager.state(database: "db", label: "l1").state == .aborted)
        let again = try manager.begin(database: "db", label: "l1")
        #expect(again.id != first.id)
    }

    @Test func anUnknownDatabaseIsNamed() throws {
        let (engine, manager) = try Self.manager()
        defer { engine.close() }
        let error = #expect(throws: TransactionError.self) { _ = try manager.begin(database: "nope", label: "l") }
        #expect(error?.code == .unknownDatabase)
    }

    @Test func tooManyRunningTransactionsAreRefused() throws {
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
        defer { engine.close() }
        try engine.createDatabase("db")
        let manager = TransactionManager(engine: engine, maxRunningPerDatabase: 2)
        _ = try manager.begin(database: "db", label: "a")
        _ = try manager.begin(database: "db", label: "b")
        let error = #expect(throws: TransactionError.self) { _ = try manager.begin(database: "db", label: "c") }
        #expect(error?.code == .tooManyRunning)
    }
}
