import SluiceFormat
import SluiceStorage
import SluiceTesting
import SluiceTxn
import Testing

/// The transaction owner: the state machine drives every transaction; refused events change
/// nothing; a failed engine effect leaves the transaction open; timeouts follow an injected clock.
@Suite struct TransactionOwnerTests {
    struct Fixture {
        let engine: StorageEngine
        let clock = ManualClock()
        let manager: TransactionManager

        init() throws {
            engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem())
            try engine.createDatabase("db")
            try engine.createTable(
                database: "db", TableDefinition(name: "t", columns: [ColumnSchema(id: 0, name: "k", type: .bigint)]))
            let clock = clock
            manager = TransactionManager(engine: engine, clock: { clock.nowMicros })
        }

        func write(_ values: [Int64]) throws -> PreparedWrite {
            let writer = try engine.makeWriter(database: "db", table: "t")
            var column = ColumnVector(type: .bigint)
            for v in values { column.append(.int(v)) }
            _ = try writer.append([column])
            return try writer.finish()
        }
    }

    @Test func claimsAreExclusiveAndEventsFollowTheStateMachine() throws {
        let f = try Fixture()
        defer { f.engine.close() }
        let t = try f.manager.begin(database: "db", label: "L", table: "t", claimed: false)
        #expect(try f.manager.claim(database: "db", label: "L", for: .load) == t)
        let busy = #expect(throws: TransactionError.self) {
            _ = try f.manager.claim(database: "db", label: "L", for: .load)
        }
        #expect(busy?.code == .inProcessing)
        #expect(busy?.isRetriable == true)
        f.manager.release(t)
        _ = try f.manager.claim(database: "db", label: "L", for: .prepare)
        let prepared = try f.manager.prepare(t, write: try f.write([1, 2]), timeoutSeconds: 60)
        #expect(try f.manager.state(database: "db", label: "L").state == .prepared)
        // PREPARED takes no more data and no second prepare: the label is no longer open.
        let load = #expect(throws: TransactionError.self) {
            _ = try f.manager.claim(database: "db", label: "L", for: .load)
        }
        #expect(load?.code == .notOpen)
        // Events on the handle of a transaction that moved on are refused, not applied.
        #expect(throws: TransactionError.self) { try f.manager.commit(t, write: try f.write([3])) }
        try f.manager.commitPrepared(prepared)
        #expect(try f.manager.state(database: "db", label: "L").state == .visible)
        // Repeats answer like StarRocks' FE: commit again is done, rollback is refused.
        #expect(try f.manager.settle(.commit, database: "db", label: "L").message.contains("has already committed"))
        let rollback = #expect(throws: TransactionError.self) {
            _ = try f.manager.settle(.rollback, database: "db", label: "L")
        }
        #expect(rollback?.code == .refused)
        #expect(rollback?.message == "Can not abort VISIBLE transaction \(t.id), label is L")
        let unknown = #expect(throws: TransactionError.self) {
            _ = try f.manager.settle(.commit, database: "db", label: "nope")
        }
        #expect(unknown?.code == .notFound)
    }

    @Test func abortedTransactionsRefuseCommit() throws {
        let f = try Fixture()
        defer { f.engine.close() }
        let t = try f.manager.begin(database: "db", label: "A")
        f.manager.abort(t, reason: "User Aborted")
        #expect(throws: TransactionError.self) { try f.manager.commit(t, write: try f.write([1])) }
        let commit = #expect(throws: TransactionError.self) {
            _ = try f.manager.settle(.commit, database: "db", label: "A")
        }
        #expect(commit?.message == "Can not commit ABORTED transaction \(t.id), label is A")
        #expect(try f.manager.settle(.rollback, database: "db", label: "A").message.contains("has already aborted"))
        #expect(try f.manager.state(database: "db", label: "A").reason == "User Aborted")
        #expect(try f.engine.execute(count: "t") == 0)
    }

    @Test func aFailedCommitLeavesTheTransactionOpenToAbort() throws {
        let f = try Fixture()
        defer { f.engine.close() }
        let t = try f.manager.begin(database: "db", label: "D")
        let write = try f.write([1])
        try f.engine.dropTable(database: "db", name: "t")
        let error = #expect(throws: StorageError.self) { try f.manager.commit(t, write: write) }
        #expect(error?.code == .unknownTable)
        #expect(try f.manager.state(database: "db", label: "D").state == .prepare)
        f.manager.abort(t, reason: "table dropped")
        #expect(try f.manager.state(database: "db", label: "D").state == .aborted)
        #expect(f.manager.runningCount == 0)
    }

    @Test func timeoutsFollowTheInjectedClock() throws {
        let f = try Fixture()
        defer { f.engine.close() }
        let slow = try f.manager.begin(
            database: "db", label: "slow", table: "t", timeouts: .init(timeoutSeconds: 10), claimed: false)
        let idle = try f.manager.begin(
            database: "db", label: "idle", table: "t", timeouts: .init(idleTimeoutSeconds: 3), claimed: false)
        f.clock.advance(by: .seconds(2))
        #expect(f.manager.claimExpired().isEmpty)
        // Activity restarts the idle timer.
        _ = try f.manager.claim(database: "db", label: "idle", for: .load)
        f.manager.release(idle)
        f.clock.advance(by: .seconds(2))
        #expect(f.manager.claimExpired().isEmpty)
        f.clock.advance(by: .seconds(2))
        let idled = f.manager.claimExpired()
        #expect(idled.map(\.transaction) == [idle])
        #expect(idled.first?.reason == "transaction is aborted by idle timeout 3 seconds.")
        f.clock.advance(by: .seconds(5))
        let expired = f.manager.claimExpired()
        #expect(expired.map(\.transaction) == [slow])
        #expect(expired.first?.reason == "timeout by txn manager")
        // Claimed for the abort: no one else can work on them meanwhile.
        let claimed = #expect(throws: TransactionError.self) {
            _ = try f.manager.claim(database: "db", label: "slow", for: .load)
        }
        #expect(claimed?.code == .inProcessing)
        for (t, reason) in idled + expired { f.manager.abort(t, reason: reason, event: .timeout) }
        #expect(try f.manager.state(database: "db", label: "slow").state == .aborted)
        #expect(f.manager.openTransactions.isEmpty)
    }
}

extension StorageEngine {
    fileprivate func execute(count table: String) throws -> Int {
        let meta = try self.table(database: "db", name: table)
        return meta.partitions.flatMap(\.tablets).flatMap(\.rowsets).reduce(0) { $0 + $1.rowCount }
    }
}
