import Dispatch
import Foundation
import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// D11 (issue 11): concurrent loads into one tablet trigger back-pressure compactions while the
/// background pass and queries run. A compaction or scan that read the tablet before another
/// compaction swapped it must still find every file it was handed.
@Suite struct ConcurrentCompactionTests {
    /// The interleaving behind D11, made deterministic: a snapshot is read, another compaction
    /// swaps the tablet and deletes its old files, then the snapshot's holder scans or compacts.
    @Test func aSnapshotOutlivedByACompactionStillReads() throws {
        var options = StorageOptions()
        options.compactionThreshold = 100
        let engine = try StorageEngine(path: "/data", fileSystem: SimulatedFileSystem(), options: options)
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition(buckets: 1))
        for i in 0..<3 {
            let writer = try engine.makeWriter(database: "db", table: "events")
            _ = try writer.append(StorageEngineTests.rows((i * 10)..<(i * 10 + 10)))
            try engine.commit(try writer.finish(), label: "l\(i)")
        }
        let stale = try engine.table(database: "db", name: "events")
        let tablet = try #require(stale.partitions.flatMap(\.tablets).first { !$0.rowsets.isEmpty })
        #expect(try engine.compact(table: stale, tabletID: tablet.id))
        // Both used to fail with "cannot open segment …: no such file".
        let scan = engine.scan(stale, columns: [0])
        var rows = 0
        while let batch = try scan.next() { rows += batch[0].count }
        scan.close()
        #expect(rows == 30)
        #expect(try engine.compact(table: stale, tabletID: tablet.id) == false)
    }

    @Test(.timeLimit(.minutes(2)))
    func compactionsAndScansNeverLoseFiles() throws {
        let path = NSTemporaryDirectory() + "sluice-d11-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = StorageOptions()
        options.compactionThreshold = 2
        options.maxRowsetsPerTablet = 3
        let engine = try StorageEngine(path: path, options: options)
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition(buckets: 1))
        let writers = 8, commitsPerWriter = 25, rowsPerCommit = 20
        let failures = Mutex<[String]>([])
        let done = Atomic<Int>(0)
        let background = DispatchGroup()
        // Background compaction and readers, until the writers are done.
        for role in 0..<3 {
            background.enter()
            Thread {
                defer { background.leave() }
                while done.load(ordering: .relaxed) < writers {
                    do {
                        if role == 0 {
                            try engine.compactDueTablets()
                        } else {
                            let table = try engine.table(database: "db", name: "events")
                            let scan = engine.scan(table, columns: [0])
                            while try scan.next() != nil {}
                            scan.close()
                        }
                    } catch {
                        failures.withLock { $0.append("\(role == 0 ? "compaction" : "scan"): \(error)") }
                    }
                }
            }.start()
        }
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            defer { done.add(1, ordering: .relaxed) }
            for c in 0..<commitsPerWriter {
                let first = (w * commitsPerWriter + c) * rowsPerCommit
                do {
                    let writer = try engine.makeWriter(database: "db", table: "events")
                    _ = try writer.append(StorageEngineTests.rows(first..<(first + rowsPerCommit)))
                    try engine.commit(try writer.finish(), label: "w\(w)-\(c)")
                } catch {
                    failures.withLock { $0.append("commit w\(w)-\(c): \(error)") }
                }
            }
        }
        background.wait()
        #expect(failures.withLock { $0 } == [])
        let table = try engine.table(database: "db", name: "events")
        let scan = engine.scan(table, columns: [0])
        var ids = Set<Int64>()
        while let batch = try scan.next() { ids.formUnion(batch[0].ints) }
        scan.close()
        #expect(ids.count == writers * commitsPerWriter * rowsPerCommit)
    }
}
