import ArgumentParser
import Foundation
import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTxn

@main
struct SluiceBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice-bench", abstract: "In-process benchmarks of the storage engine.",
        subcommands: [CommitBenchmark.self])
}

/// One-row commits through the transaction owner (begin → write one segment → commit), the path
/// every INSERT and small Stream Load takes without the HTTP and SQL front: concurrent clients
/// with group commit off (each commit appends and syncs the journal alone) and on, side by side,
/// on the real disk and with slower `fsync`s; plus one-at-a-time latency. Prints a JSON line per
/// setting with the ratio.
struct CommitBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "commit")

    @Option(help: "Concurrent committing threads.") var clients = 64
    @Option(help: "Commits per thread.") var commits = 20
    @Option(help: "Extra milliseconds per fsync, comma-separated (0 = the disk as it is).")
    var syncDelays = "0,2"
    @Option(help: "Directory for the temporary data directories.") var directory = NSTemporaryDirectory()
    @Option(
        help:
            "Rowsets per tablet before a commit compacts it first; the server compacts in the background, so by default this benchmark never does."
    )
    var maxRowsetsPerTablet = 1_000_000

    func run() throws {
        for delay in syncDelays.split(separator: ",").compactMap({ Double($0) }) {
            let before = try measure(groupCommit: false, syncDelayMilliseconds: delay)
            let after = try measure(groupCommit: true, syncDelayMilliseconds: delay)
            let line: [String: Any] = [
                "sync_delay_ms": delay, "clients": clients, "commits_per_client": commits,
                "commits_per_s_without_group": (before.rate * 10).rounded() / 10,
                "commits_per_s_with_group": (after.rate * 10).rounded() / 10,
                "ratio": (after.rate / before.rate * 100).rounded() / 100,
                "single_commit_ms_without_group": (before.single * 1000).rounded() / 1000,
                "single_commit_ms_with_group": (after.single * 1000).rounded() / 1000,
            ]
            let data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }

    /// Commits/s of `clients` × `commits` concurrent one-row commits, and the mean milliseconds of
    /// one commit at a time, on a fresh data directory.
    func measure(groupCommit: Bool, syncDelayMilliseconds: Double) throws -> (rate: Double, single: Double) {
        let path = FilePath.join(directory, "sluice-bench-commit-\(UInt64.random(in: 0...UInt64.max))")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = StorageOptions()
        options.groupCommit = groupCommit
        options.maxRowsetsPerTablet = maxRowsetsPerTablet
        let fileSystem = SyncHookFileSystem.slowed(
            PosixFileSystem(), by: .microseconds(Int64(syncDelayMilliseconds * 1000)))
        let engine = try StorageEngine(path: path, fileSystem: fileSystem, options: options)
        defer { engine.close() }
        try engine.createDatabase("b")
        try engine.createTable(
            database: "b",
            TableDefinition(
                name: "t",
                columns: [
                    ColumnSchema(id: 0, name: "id", type: .bigint), ColumnSchema(id: 0, name: "v", type: .string),
                ],
                keyColumns: ["id"], distribution: Distribution(columns: ["id"], buckets: 4)))
        let transactions = TransactionManager(engine: engine)
        let table = try engine.table(database: "b", name: "t")
        @Sendable func commitOne(_ id: Int64) throws {
            let transaction = try transactions.begin(database: "b", label: "l-\(id)")
            let writer = try engine.makeWriter(table: table)
            var ids = ColumnVector(type: .bigint)
            ids.append(.int(id))
            var values = ColumnVector(type: .string)
            values.append(.string("v"))
            _ = try writer.append([ids, values])
            try transactions.commit(transaction, write: try writer.finish())
        }
        let clock = ContinuousClock()
        let started = clock.now
        let clients = self.clients, commits = self.commits
        let failures = Failures()
        // One thread per client, as 64 connections would have (concurrentPerform would run only
        // as many at once as there are cores).
        let done = DispatchGroup()
        for client in 0..<clients {
            done.enter()
            Thread.detachNewThread {
                for i in 0..<commits {
                    do { try commitOne(Int64(client * 1_000_000 + i)) } catch { failures.record(error) }
                }
                done.leave()
            }
        }
        done.wait()
        let elapsed = clock.now - started
        if let error = failures.first { throw error }
        let singleStart = clock.now
        for i in 0..<100 { try commitOne(Int64(900_000_000 + i)) }
        let single = (clock.now - singleStart) / 100
        return (Double(clients * commits) / seconds(elapsed), seconds(single) * 1000)
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// The first error any client met.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func record(_ error: any Error) { lock.withLock { errors.append(error) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}
