import Dispatch
import Foundation
import SluiceIO
import SluiceStorage
import SluiceTesting
import Testing

/// A commit group's journal fsync runs with only the writer lock held: while it is in flight,
/// readers (label checks, snapshots) answer at once, and the commit is not visible until the
/// sync returned. Deterministic: the sync is held on a gate, not slowed by a sleep.
@Suite struct SyncOutsideLockTests {
    /// Holds the next journal sync (once armed) until `release()`.
    final class Gate: @unchecked Sendable {
        // @unchecked: `state` is guarded by `condition`.
        let condition = NSCondition()
        var state: (armed: Bool, waiting: Bool, released: Bool) = (false, false, false)

        func arm() {
            condition.lock()
            state = (true, false, false)
            condition.unlock()
        }

        /// Blocks until a sync is held at the gate.
        func awaitHeldSync() -> Bool {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date().addingTimeInterval(20)
            while !state.waiting { if !condition.wait(until: deadline) { return false } }
            return true
        }

        func release() {
            condition.lock()
            state.released = true
            condition.broadcast()
            condition.unlock()
        }

        func pass(_ path: String) {
            guard path.contains("journal") else { return }
            condition.lock()
            defer { condition.unlock() }
            guard state.armed else { return }
            state.armed = false
            state.waiting = true
            condition.broadcast()
            while !state.released { condition.wait() }
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func readersAnswerWhileACommitSyncs() throws {
        let gate = Gate()
        let engine = try StorageEngine(
            path: "/data", fileSystem: SyncHookFileSystem(base: SimulatedFileSystem(), afterSync: gate.pass))
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition(buckets: 1))
        let writer = try engine.makeWriter(database: "db", table: "events")
        _ = try writer.append(StorageEngineTests.rows(0..<5))
        let prepared = try writer.finish()
        gate.arm()
        let committed = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? engine.commit(prepared, label: "held")
            committed.signal()
        }
        #expect(gate.awaitHeldSync())
        // The sync is in flight: readers answer, and the commit is not visible yet.
        #expect(engine.committedLabel(database: "db", label: "held") == nil)
        #expect(try engine.table(database: "db", name: "events").version == 1)
        gate.release()
        committed.wait()
        #expect(engine.committedLabel(database: "db", label: "held") != nil)
        #expect(try engine.table(database: "db", name: "events").version == 2)
    }
}
