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
    /// Holds the next journal sync until `release()`.
    final class GatedFileSystem: FileSystem, @unchecked Sendable {
        let base: any FileSystem
        let armed = NSCondition()
        var state: (armed: Bool, waiting: Bool, released: Bool) = (false, false, false)

        init(base: any FileSystem) { self.base = base }

        func arm() {
            armed.lock()
            state = (true, false, false)
            armed.unlock()
        }

        /// Blocks until a sync is held at the gate.
        func awaitHeldSync() -> Bool {
            armed.lock()
            defer { armed.unlock() }
            let deadline = Date().addingTimeInterval(20)
            while !state.waiting { if !armed.wait(until: deadline) { return false } }
            return true
        }

        func release() {
            armed.lock()
            state.released = true
            armed.broadcast()
            armed.unlock()
        }

        func gate(_ path: String) {
            guard path.contains("journal") else { return }
            armed.lock()
            defer { armed.unlock() }
            guard state.armed else { return }
            state.armed = false
            state.waiting = true
            armed.broadcast()
            while !state.released { armed.wait() }
        }

        func createDirectory(_ path: String) throws { try base.createDirectory(path) }
        func listDirectory(_ path: String) throws -> [String] { try base.listDirectory(path) }
        func fileExists(_ path: String) -> Bool { base.fileExists(path) }
        func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
        func fileSize(_ path: String) throws -> Int { try base.fileSize(path) }
        func readFile(_ path: String) throws -> [UInt8] { try base.readFile(path) }
        func openForReading(_ path: String) throws -> any ReadableFile { try base.openForReading(path) }
        func createFile(_ path: String) throws -> any WritableFile {
            GatedFile(base: try base.createFile(path), path: path, fileSystem: self)
        }
        func rename(_ from: String, to: String) throws { try base.rename(from, to: to) }
        func removeFile(_ path: String) throws { try base.removeFile(path) }
        func removeTree(_ path: String) throws { try base.removeTree(path) }
        func syncDirectory(_ path: String) throws { try base.syncDirectory(path) }
        func lockFile(_ path: String) throws -> any FileLock { try base.lockFile(path) }
    }

    final class GatedFile: WritableFile {
        let base: any WritableFile
        let path: String
        let fileSystem: GatedFileSystem
        init(base: any WritableFile, path: String, fileSystem: GatedFileSystem) {
            self.base = base
            self.path = path
            self.fileSystem = fileSystem
        }
        var size: Int { base.size }
        func append(_ bytes: UnsafeRawBufferPointer) throws { try base.append(bytes) }
        func sync() throws {
            fileSystem.gate(path)
            try base.sync()
        }
        func truncate(to length: Int) throws { try base.truncate(to: length) }
        func close() throws { try base.close() }
    }

    @Test(.timeLimit(.minutes(1)))
    func readersAnswerWhileACommitSyncs() throws {
        let fs = GatedFileSystem(base: SimulatedFileSystem())
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        defer { engine.close() }
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition(buckets: 1))
        let writer = try engine.makeWriter(database: "db", table: "events")
        _ = try writer.append(StorageEngineTests.rows(0..<5))
        let prepared = try writer.finish()
        fs.arm()
        let committed = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            _ = try? engine.commit(prepared, label: "held")
            committed.signal()
        }
        #expect(fs.awaitHeldSync())
        // The sync is in flight: readers answer, and the commit is not visible yet.
        #expect(engine.committedLabel(database: "db", label: "held") == nil)
        #expect(try engine.table(database: "db", name: "events").version == 1)
        fs.release()
        committed.wait()
        #expect(engine.committedLabel(database: "db", label: "held") != nil)
        #expect(try engine.table(database: "db", name: "events").version == 2)
    }
}
