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
            if core.meta.jobs.values.contains(where: { $0.databaseID == db.id && $0.name == name && $0.isRemote }) {
                throw StorageError(
                    .alreadyExists, "job \(name) of database \(database) is run by remote daemons; pick another name")
            }
            let id = allocateID()
            try journal(.putJob(id: id, databaseID: db.id, name: name, definition: definition(id)), in: &core)
            return id
        }
    }

    /// The id of the remote job `name` of `database` (remote-sink mode: daemons elsewhere run it,
    /// this node keeps its progress), journaling it on first use.
    /// - Throws: `.unknownDatabase`; `.alreadyExists` if a local Routine Load job has the name.
    package func remoteSourceJob(database: String, name: String) throws -> Int64 {
        if let id = core.withLock({ core -> Int64? in
            guard let db = core.meta.database(named: database) else { return nil }
            return core.meta.jobs.values.first { $0.databaseID == db.id && $0.name == name && $0.isRemote }?.id
        }) {
            return id
        }
        return try write { core in
            guard let db = core.meta.database(named: database) else {
                throw StorageError(.unknownDatabase, "Unknown database '\(database)'")
            }
            if let job = core.meta.jobs.values.first(where: { $0.databaseID == db.id && $0.name == name }) {
                guard job.isRemote else {
                    throw StorageError(
                        .alreadyExists,
                        "job \(name) of database \(database) is a routine load job of this node; "
                            + "remote daemons must use another job name")
                }
                return job.id
            }
            let id = allocateID()
            try journal(.putRemoteJob(id: id, databaseID: db.id, name: name), in: &core)
            return id
        }
    }

    /// Fenced source batches (remote-sink daemons) refused because another writer's commits
    /// overlap them or they do not start at the stored next offset, since the engine opened.
    package var sourceCommitConflicts: Int { fenceRefusals.load(ordering: .relaxed) }

    /// The remote job `name` of `database`, if one exists.
    package func remoteSourceJob(named name: String, database: String) -> SourceJob? {
        core.withLock { core in
            guard let db = core.meta.database(named: database) else { return nil }
            return core.meta.jobs.values.first { $0.databaseID == db.id && $0.name == name && $0.isRemote }
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
