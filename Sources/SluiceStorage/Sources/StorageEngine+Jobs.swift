import Synchronization

extension StorageEngine {
    /// Every source job with its committed progress (a snapshot).
    package var sourceJobs: [SourceJob] { core.withLock { Array($0.meta.jobs.values) }.sorted { $0.id < $1.id } }

    package func sourceJob(id: Int64) -> SourceJob? { core.withLock { $0.meta.jobs[id] } }

    /// Journals a new job of `database`; returns its id.
    package func createSourceJob(database: String, name: String, definition: (Int64) throws -> [UInt8]) throws -> Int64
    {
        try write { core in
            guard let db = core.meta.database(named: database) else {
                throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
            }
            let id = allocateID()
            try journal(.putJob(id: id, databaseID: db.id, name: name, definition: definition(id)), in: &core)
            return id
        }
    }

    /// Replaces a job's definition (state, properties); its progress is kept.
    package func updateSourceJob(id: Int64, definition: [UInt8]) throws {
        try withJob(id) { core, job in
            try journal(.putJob(id: id, databaseID: job.databaseID, name: job.name, definition: definition), in: &core)
        }
    }

    /// Sets the next offset to consume of some partitions (ALTER of offsets, resolved sentinels).
    package func setSourcePosition(id: Int64, position: [Int32: Int64]) throws {
        try withJob(id) { core, _ in try journal(.setJobPosition(id: id, position: position), in: &core) }
    }

    /// Records a planned batch before its load begins (`ranges`), or abandons it (`nil`).
    package func planSourceBatch(id: Int64, label: String, ranges: [Int32: OffsetRange]?) throws {
        try withJob(id) { core, job in
            if ranges == nil, job.intents[label] == nil { return }
            try journal(.planJobBatch(id: id, label: label, ranges: ranges), in: &core)
        }
    }

    /// Advances a job past a batch whose offsets were all committed before (a replay): its
    /// ranges and skipped count are journaled without data.
    package func advanceSourceJob(_ batch: SourceBatch) throws {
        try withJob(batch.jobID) { core, _ in try journal(.advanceJob(batch), in: &core) }
    }

    /// Forgets a job and its progress.
    package func dropSourceJob(id: Int64) throws {
        try withJob(id) { core, _ in try journal(.dropJob(id: id), in: &core) }
    }

    private func withJob(_ id: Int64, _ body: (inout Core, SourceJob) throws -> Void) throws {
        try write { core in
            guard let job = core.meta.jobs[id] else {
                throw StorageError(.unknownJob, "routine load job \(id) does not exist")
            }
            try body(&core, job)
        }
    }
}
