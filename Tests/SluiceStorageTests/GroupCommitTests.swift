import Dispatch
import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// Group commit: concurrent commits share journal syncs, yet each keeps its own outcome —
/// versions stay distinct and consecutive, a label is taken once even by two commits of one
/// group, and everything acknowledged survives a crash.
@Suite struct GroupCommitTests {
    @Test(.timeLimit(.minutes(1)))
    func concurrentCommitsKeepTheirOwnOutcomes() throws {
        let fs = SimulatedFileSystem(seed: 7)
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition(buckets: 1))
        let writers = 16, commitsPerWriter = 20
        let outcomes = Mutex<(versions: [Int64], acknowledged: [String], clashes: Int, failures: [String])>(
            ([], [], 0, []))
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            for c in 0..<commitsPerWriter {
                // Writers 2k and 2k+1 use the same labels: exactly one of each pair may win.
                let label = "l\(w / 2)-\(c)"
                let first = (w * commitsPerWriter + c) * 5
                do {
                    let writer = try engine.makeWriter(database: "db", table: "events")
                    _ = try writer.append(StorageEngineTests.rows(first..<(first + 5)))
                    let prepared = try writer.finish()
                    do {
                        let info = try engine.commit(prepared, label: label)
                        outcomes.withLock {
                            $0.versions.append(info.version)
                            $0.acknowledged.append(label)
                        }
                    } catch let error as StorageError where error.code == .alreadyExists {
                        engine.discard(prepared)
                        outcomes.withLock { $0.clashes += 1 }
                    }
                } catch {
                    outcomes.withLock { $0.failures.append("\(error)") }
                }
            }
        }
        let result = outcomes.withLock { $0 }
        #expect(result.failures == [])
        #expect(result.acknowledged.count == writers / 2 * commitsPerWriter)
        #expect(Set(result.acknowledged).count == result.acknowledged.count)
        #expect(result.clashes == writers / 2 * commitsPerWriter)
        let table = try engine.table(database: "db", name: "events")
        #expect(
            result.versions.sorted()
                == Array(1...Int64(result.versions.count)).map { $0 + table.version - Int64(result.versions.count) })
        fs.crash()
        let recovered = try StorageEngine(path: "/data", fileSystem: fs)
        defer { recovered.close() }
        let scan = recovered.scan(try recovered.table(database: "db", name: "events"), columns: [0])
        var rows = 0
        while let batch = try scan.next() { rows += batch[0].count }
        scan.close()
        #expect(rows == result.acknowledged.count * 5)
        for label in result.acknowledged { #expect(recovered.committedLabel(database: "db", label: label) != nil) }
    }

    /// A journal sync that fails fails the commit and leaves nothing of it — on disk or in memory;
    /// the next commit succeeds and a crash keeps exactly the acknowledged ones.
    @Test func aFailedSyncFailsTheCommitAndLeavesNothing() throws {
        let fs = SimulatedFileSystem(seed: 9)
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition(buckets: 1))
        func commit(_ ids: Range<Int>, _ label: String) throws {
            let writer = try engine.makeWriter(database: "db", table: "events")
            _ = try writer.append(StorageEngineTests.rows(ids))
            try engine.commit(try writer.finish(), label: label)
        }
        func count(_ engine: StorageEngine) throws -> Int {
            let scan = engine.scan(try engine.table(database: "db", name: "events"), columns: [0])
            defer { scan.close() }
            var rows = 0
            while let batch = try scan.next() { rows += batch[0].count }
            return rows
        }
        try commit(0..<10, "a")
        let writer = try engine.makeWriter(database: "db", table: "events")
        _ = try writer.append(StorageEngineTests.rows(10..<20))
        let prepared = try writer.finish()
        fs.failSync(after: 0)
        let error = #expect(throws: StorageError.self) { try engine.commit(prepared, label: "b") }
        #expect(error?.code == .io)
        #expect(try count(engine) == 10)
        #expect(engine.committedLabel(database: "db", label: "b") == nil)
        try commit(20..<30, "b")
        fs.crash()
        let recovered = try StorageEngine(path: "/data", fileSystem: fs)
        defer { recovered.close() }
        #expect(try count(recovered) == 20)
        #expect(try DataDirectoryCheckTests.journalIsClean(fs))
    }
}
