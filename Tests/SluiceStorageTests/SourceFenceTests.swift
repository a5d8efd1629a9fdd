import Dispatch
import SluiceFormat
import SluiceIO
import SluiceStorage
import SluiceTesting
import Synchronization
import Testing

/// The fence of remote-sink mode (design/SCALE-OUT.md §3.3 step 5): a fenced batch commits only
/// if its offsets continue the job's stored progress, checked in the step that commits.
@Suite struct SourceFenceTests {
    static func engine(_ fs: SimulatedFileSystem = SimulatedFileSystem()) throws -> (StorageEngine, Int64) {
        let engine = try StorageEngine(path: "/data", fileSystem: fs)
        try engine.createDatabase("db")
        try engine.createTable(database: "db", StorageEngineTests.eventsDefinition(buckets: 1))
        return (engine, try engine.remoteSourceJob(database: "db", name: "job"))
    }

    static func batch(_ job: Int64, _ ranges: [Int32: (Int64, Int64)], daemon: String? = "d1") -> SourceBatch {
        SourceBatch(
            jobID: job, ranges: ranges.mapValues { OffsetRange($0.0, $0.1) }, counters: SourceCounters(),
            timestamps: [:], owner: daemon.map { SourceOwner(daemon: $0, member: "m-\($0)", generation: 3) })
    }

    static func write(_ engine: StorageEngine, _ ids: Range<Int>) throws -> PreparedWrite {
        let writer = try engine.makeWriter(database: "db", table: "events")
        _ = try writer.append(StorageEngineTests.rows(ids))
        return try writer.finish()
    }

    @Test func fencedBatchesMustContinueTheStoredProgress() throws {
        let (engine, job) = try Self.engine()
        // A partition's first commit may start anywhere (its earliest offset).
        try engine.commit(
            try Self.write(engine, 0..<10), label: "a", source: Self.batch(job, [0: (0, 9), 1: (50, 59)]))
        try engine.commit(try Self.write(engine, 10..<20), label: "b", source: Self.batch(job, [0: (10, 19)]))
        // Overlap: a zombie's batch over offsets another daemon committed.
        let overlap = try #require(throws: StorageError.self) {
            try engine.commit(
                try Self.write(engine, 20..<30), label: "c", source: Self.batch(job, [0: (15, 24)], daemon: "d2"))
        }
        #expect(overlap.code == .sourceRangeConflict)
        #expect(overlap.message.contains("partition 0 offsets 15-24"), "\(overlap.message)")
        #expect(overlap.message.contains("stored next offset 20, committed 0-19, last by d1"), "\(overlap.message)")
        // Gap: a batch that skips offsets.
        let gap = try #require(throws: StorageError.self) {
            try engine.commit(try Self.write(engine, 20..<30), label: "c", source: Self.batch(job, [1: (61, 70)]))
        }
        #expect(gap.code == .sourceGap)
        #expect(gap.message.contains("stored next offset 60"), "\(gap.message)")
        // Nothing of the refused batches is visible; the labels stay free.
        #expect(try StorageEngineTests.allIDs(engine).count == 20)
        try engine.commit(try Self.write(engine, 20..<30), label: "c", source: Self.batch(job, [0: (20, 29)]))
        let stored = try #require(engine.sourceJob(id: job))
        #expect(stored.position == [0: 30, 1: 60])
        #expect(stored.committed[0]?.ranges == [OffsetRange(0, 29)])
        #expect(stored.owners?[0]?.daemon == "d1")
        #expect(engine.sourceCommitConflicts == 2)
        // The local runtime's unfenced batches keep their replay semantics (ranges may overlap).
        try engine.commit(
            try Self.write(engine, 30..<31), label: "d", source: Self.batch(job, [0: (25, 35)], daemon: nil))
        #expect(engine.sourceJob(id: job)?.position[0] == 36)
    }

    /// A PREPARED batch overtaken by another writer's commit is refused at commit and rolled
    /// back; the fence is also checked when a batch prepares.
    @Test func aPreparedBatchOvertakenIsRolledBack() throws {
        let fs = SimulatedFileSystem()
        let (engine, job) = try Self.engine(fs)
        let zombie = try engine.prepare(
            try Self.write(engine, 0..<10), label: "zombie", transactionID: 900, source: Self.batch(job, [0: (0, 9)]),
            timeoutSeconds: 60)
        try engine.commit(
            try Self.write(engine, 100..<105), label: "owner", source: Self.batch(job, [0: (0, 4)], daemon: "d2"))
        let refused = try #require(throws: StorageError.self) {
            try engine.commitPrepared(transactionID: zombie.transactionID)
        }
        #expect(refused.code == .sourceRangeConflict)
        #expect(engine.preparedTransactions.isEmpty)
        #expect(try StorageEngineTests.allIDs(engine) == (100..<105).map { Int64($0) })
        let early = try #require(throws: StorageError.self) {
            try engine.prepare(
                try Self.write(engine, 10..<20), label: "late", transactionID: 901,
                source: Self.batch(job, [0: (3, 9)]), timeoutSeconds: 60)
        }
        #expect(early.code == .sourceRangeConflict)
        engine.close()
        // Progress, owners and the remote job survive a restart.
        let reopened = try StorageEngine(path: "/data", fileSystem: fs)
        #expect(reopened.sourceJob(id: job)?.position == [0: 5])
        #expect(reopened.sourceJob(id: job)?.isRemote == true)
        #expect(reopened.sourceJob(id: job)?.owners?[0]?.daemon == "d2")
        #expect(try reopened.remoteSourceJob(database: "db", name: "job") == job)
    }

    /// Many writers race the same next batch (group commit shares one sync): exactly one wins.
    @Test func racingWritersCommitEachRangeOnce() throws {
        let (engine, job) = try Self.engine()
        let wins = Atomic<Int>(0)
        for round in 0..<20 {
            let start = Int64(round * 10)
            DispatchQueue.concurrentPerform(iterations: 4) { writer in
                let ids = (round * 40 + writer * 10)..<(round * 40 + writer * 10 + 10)
                let label = "r\(round)-w\(writer)"
                let source = Self.batch(job, [0: (start, start + 9)], daemon: "d\(writer)")
                guard let write = try? Self.write(engine, ids) else { return }
                if (try? engine.commit(write, label: label, source: source)) != nil {
                    wins.add(1, ordering: .relaxed)
                } else {
                    engine.discard(write)
                }
            }
        }
        #expect(wins.load(ordering: .relaxed) == 20)
        #expect(engine.sourceJob(id: job)?.committed[0]?.ranges == [OffsetRange(0, 199)])
        #expect(try StorageEngineTests.allIDs(engine).count == 200)
        #expect(engine.sourceCommitConflicts == 60)
    }

    @Test func aLocalJobNameIsNotTakenOverByRemoteDaemons() throws {
        let (engine, _) = try Self.engine()
        _ = try engine.createSourceJob(database: "db", name: "local") { _ in [1] }
        #expect(throws: StorageError.self) { try engine.remoteSourceJob(database: "db", name: "local") }
        #expect(throws: StorageError.self) { try engine.createSourceJob(database: "db", name: "job") { _ in [1] } }
    }
}
