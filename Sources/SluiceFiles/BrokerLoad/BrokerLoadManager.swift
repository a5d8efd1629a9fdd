import Foundation
package import Logging
import SluiceFormat
import SluiceIO
package import SluiceLoad
import SluiceParquet
package import SluiceStorage
import SluiceTxn
import Synchronization

/// Why a Broker Load statement was refused; `message` is StarRocks' text where it has one.
package struct BrokerLoadError: Error, Sendable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        case unknownDatabase, unknownTable, invalidLabel, labelAlreadyUsed, invalidArgument
        /// CANCEL LOAD: no job has the label.
        case jobNotFound
        /// CANCEL LOAD: the label's job already ended.
        case notCancellable
    }

    package var code: Code
    package var message: String
    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
    package var description: String { message }
}

/// Runs Broker Load jobs (spec C.2): accepts a job at once (PENDING, journaled), lists its files,
/// loads them all in one transaction under its label on a thread of its own, at most
/// `maxConcurrentJobs` at a time (the rest QUEUEING), and journals every state change. The one
/// owner of the jobs' state.
///
/// After a restart, a job that had not ended is finished if its label committed (the commit
/// record carries its counters) and run again otherwise: labels make it exactly once.
package final class BrokerLoadManager: Sendable {
    private struct State {
        var jobs: [Int64: BrokerLoadJob] = [:]
        /// Jobs whose CANCEL LOAD their running thread has yet to act on.
        var cancelRequested: Set<Int64> = []
        var running: Set<Int64> = []
        var stopped = false
    }

    package let engine: StorageEngine
    private let loads: LoadService
    private let maxConcurrentJobs: Int
    private let logger: Logger
    private let state = Mutex(State())
    /// Ends when no job runs (tests, shutdown).
    private let idle = Mutex<[CheckedContinuation<Void, Never>]>([])

    /// - Parameter maxConcurrentJobs: `max_broker_load_job_concurrency` (StarRocks' default 5).
    package init(
        engine: StorageEngine, loads: LoadService, maxConcurrentJobs: Int = 5,
        logger: Logger = Logger(label: "sluice.broker-load")
    ) {
        self.engine = engine
        self.loads = loads
        self.maxConcurrentJobs = max(1, maxConcurrentJobs)
        self.logger = logger
    }

    // MARK: Start and stop

    /// Reads the journaled jobs: unfinished ones finish (label committed) or run again.
    package func start() {
        var recovered = [BrokerLoadJob]()
        for record in engine.fileLoadJobs where record.kind == .broker {
            guard var job = BrokerLoadJob.decode(record.payload) else { continue }
            if job.state.isUnfinished {
                if let committed = engine.committedLabel(database: job.database, label: job.label),
                    committed.transactionID == job.transactionID || job.transactionID == nil
                {
                    if let counters = committed.attachment.flatMap({
                        try? JSONDecoder().decode(BrokerLoadCounters.self, from: Data($0))
                    }) {
                        job.counters = counters
                    }
                    job.transactionID = committed.transactionID
                    job.state = .finished
                    job.loadFinishTime = committed.commitTime
                } else {
                    job.state = job.state.after(.restart) ?? job.state
                }
                try? engine.putFileLoadJob(self.record(of: job))
            }
            recovered.append(job)
        }
        state.withLock { s in
            for job in recovered { s.jobs[job.id] = job }
        }
        schedule()
    }

    /// Stops starting jobs; running ones are cancelled at their next chunk.
    package func shutdown() {
        state.withLock { s in
            s.stopped = true
            s.cancelRequested.formUnion(s.running)
        }
    }

    // MARK: Statements

    /// LOAD LABEL: validates and journals the job (PENDING) and returns at once.
    /// - Throws: ``BrokerLoadError`` — unknown database or table, a bad label, a label already
    ///   used (`Label [<label>] has already been used.`), a bad property or clause.
    @discardableResult
    package func submit(
        database: String, label: String, descriptions: [FileDataDescription], storageProperties: [String: String],
        properties rawProperties: [String: String], user: String
    ) throws(BrokerLoadError) -> BrokerLoadJob {
        guard let db = try? engine.database(database) else {
            throw BrokerLoadError(.unknownDatabase, "Unknown database '\(database)'")
        }
        guard TransactionManager.isValidLabel(label) else {
            throw BrokerLoadError(.invalidLabel, "Label format error: '\(label)' must match ^[-\\w]{1,128}$")
        }
        guard !descriptions.isEmpty else {
            throw BrokerLoadError(.invalidArgument, "A load job needs a DATA INFILE clause")
        }
        let properties: FileLoadProperties
        do throws(LoadError) {
            properties = try FileLoadProperties(rawProperties)
        } catch {
            throw BrokerLoadError(.invalidArgument, error.message)
        }
        for description in descriptions {
            do throws(LoadError) {
                _ = try description.resolvedFormat()
            } catch {
                throw BrokerLoadError(.invalidArgument, error.message)
            }
            guard let table = try? engine.table(database: database, name: description.table) else {
                throw BrokerLoadError(.unknownTable, "Unknown table '\(database).\(description.table)'")
            }
            do {
                try LoadSession.check(table: table, options: try description.loadOptions(properties, table: table))
            } catch {
                throw BrokerLoadError(.invalidArgument, (error as? LoadError)?.message ?? "\(error)")
            }
        }
        if descriptions.contains(where: { $0.paths.contains(where: S3Location.isS3) }) {
            do {
                _ = try S3Settings(properties: storageProperties)
            } catch {
                throw BrokerLoadError(.invalidArgument, error.message)
            }
        }
        let job = try state.withLock { (s) throws(BrokerLoadError) -> BrokerLoadJob in
            let sameLabel = s.jobs.values.filter { $0.database.equalsIgnoringCase(db.name) && $0.label == label }
            if sameLabel.contains(where: { $0.state != .cancelled })
                || engine.committedLabel(database: database, label: label) != nil
                || engine.metaState.preparedTransaction(databaseID: db.id, label: label) != nil
            {
                throw BrokerLoadError(.labelAlreadyUsed, "Label [\(label)] has already been used.")
            }
            let job = BrokerLoadJob(
                id: engine.allocateID(), database: db.name, label: label, descriptions: descriptions,
                storageProperties: storageProperties, properties: properties, user: user,
                createTime: Int64(Date().timeIntervalSince1970))
            do {
                // A CANCELLED job's label is free again: the new job takes its place.
                for old in sameLabel { try engine.dropFileLoadJob(id: old.id) }
                try engine.putFileLoadJob(record(of: job))
            } catch {
                throw BrokerLoadError(.invalidArgument, "cannot record the load job: \(error)")
            }
            for old in sameLabel { s.jobs[old.id] = nil }
            s.jobs[job.id] = job
            return job
        }
        logger.info("broker load submitted", metadata: ["label": "\(label)", "database": "\(db.name)"])
        schedule()
        return job
    }

    /// CANCEL LOAD: a waiting job is cancelled at once, a loading one at its next chunk.
    /// - Throws: `Load job does not exist`, `There is no uncompleted job which label is <label>`.
    package func cancel(database: String, label: String) throws(BrokerLoadError) {
        guard let db = try? engine.database(database) else {
            throw BrokerLoadError(.unknownDatabase, "Db does not exist. name: \(database)")
        }
        try state.withLock { (s) throws(BrokerLoadError) in
            let matching = s.jobs.values.filter { $0.database.equalsIgnoringCase(db.name) && $0.label == label }
            guard !matching.isEmpty else { throw BrokerLoadError(.jobNotFound, "Load job does not exist") }
            guard
                let job = matching.first(where: { $0.state.isUnfinished && !s.cancelRequested.contains($0.id) })
            else {
                throw BrokerLoadError(.notCancellable, "There is no uncompleted job which label is \(label)")
            }
            if s.running.contains(job.id) {
                s.cancelRequested.insert(job.id)
            } else {
                update(job.id, in: &s) { job in
                    job.failure = BrokerLoadFailure(.userCancel, "user cancel")
                    job.loadFinishTime = Self.now()
                    return .cancel
                }
            }
        }
        schedule()
    }

    /// The jobs of `database`, oldest first.
    package func jobs(database: String) -> [BrokerLoadJob] {
        state.withLock { s in s.jobs.values.filter { $0.database.equalsIgnoringCase(database) } }
            .sorted { $0.id < $1.id }
    }

    /// Every job, oldest first.
    package var allJobs: [BrokerLoadJob] {
        state.withLock { Array($0.jobs.values) }.sorted { $0.id < $1.id }
    }

    // MARK: Running

    /// Starts waiting jobs while slots are free (highest priority, then oldest, first); queues
    /// the rest.
    private func schedule() {
        let started = state.withLock { s -> [BrokerLoadJob] in
            guard !s.stopped else { return [] }
            let waiting = s.jobs.values.filter {
                ($0.state == .pending || $0.state == .queueing) && !s.running.contains($0.id)
            }
            .sorted { a, b in
                let (pa, pb) = (Self.rank(a.properties.priority), Self.rank(b.properties.priority))
                return pa != pb ? pa > pb : a.id < b.id
            }
            var started = [BrokerLoadJob]()
            for job in waiting {
                if s.running.count < maxConcurrentJobs {
                    s.running.insert(job.id)
                    started.append(job)
                } else if job.state == .pending {
                    update(job.id, in: &s) { _ in .queue }
                }
            }
            return started
        }
        for job in started {
            BackgroundWork.async { [self] in
                run(job)
                let drained = state.withLock { s -> Bool in
                    s.running.remove(job.id)
                    s.cancelRequested.remove(job.id)
                    return s.running.isEmpty
                }
                schedule()
                if drained {
                    for waiter in idle.withLock({ w in
                        defer { w.removeAll() }; return w
                    }) { waiter.resume() }
                }
            }
        }
    }

    /// Waits until no job runs (tests).
    package func waitUntilIdle() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { $0.running.isEmpty }
            if now { continuation.resume() } else { idle.withLock { $0.append(continuation) } }
        }
    }

    private static func rank(_ priority: String) -> Int {
        ["LOWEST": 0, "LOW": 1, "NORMAL": 2, "HIGH": 3, "HIGHEST": 4][priority] ?? 2
    }

    private static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// One job from listing to commit, on its own thread.
    private func run(_ initial: BrokerLoadJob) {
        let id = initial.id
        let deadline = ContinuousClock().now + .seconds(initial.properties.timeoutSeconds)
        let descriptions = initial.descriptions
        func cancelled(_ failure: BrokerLoadFailure, _ change: (inout BrokerLoadJob) -> Void = { _ in }) {
            state.withLock { s in
                update(id, in: &s) { job in
                    job.failure = failure
                    job.loadFinishTime = Self.now()
                    change(&job)
                    return .cancel
                }
            }
            logger.warning(
                "broker load cancelled",
                metadata: [
                    "label": "\(initial.label)", "type": "\(failure.kind.rawValue)", "reason": "\(failure.message)",
                ])
        }
        func interruption() -> LoadError? {
            if state.withLock({ $0.cancelRequested.contains(id) }) { return LoadError(.cancelled, "user cancel") }
            if ContinuousClock().now > deadline {
                return LoadError(.timeout, "Load timeout. Increase the timeout and retry")
            }
            return nil
        }
        if let stop = interruption() {
            return cancelled(BrokerLoadFailure(stop.code == .cancelled ? .userCancel : .loadRunFail, stop.message))
        }
        // ETL: list the files.
        state.withLock { s in
            update(id, in: &s) { job in
                job.etlStartTime = Self.now(); return nil
            }
        }
        let source = FileSource(fileSystem: engine.fileSystem, properties: initial.storageProperties)
        // Every clause's files, listed before anything loads.
        var fileSets = [[ListedFile]]()
        do {
            for description in descriptions { fileSets.append(try source.list(description.paths)) }
        } catch {
            return cancelled(BrokerLoadFailure(.etlRunFail, error.message))
        }
        let files = fileSets.flatMap { $0 }
        let size = files.reduce(0) { $0 + $1.size }
        state.withLock { s in
            update(id, in: &s) { job in
                job.etlFinishTime = Self.now()
                job.loadStartTime = job.etlFinishTime
                job.fileNumber = files.count
                job.fileSize = size
                return .startLoading
            }
        }
        // LOAD: every clause's files in one transaction under the label.
        var clauseOptions = [LoadOptions]()
        do {
            for description in descriptions {
                let table = try engine.table(database: initial.database, name: description.table)
                clauseOptions.append(try description.loadOptions(initial.properties, table: table))
            }
        } catch {
            return cancelled(BrokerLoadFailure(.etlSubmitFail, (error as? LoadError)?.message ?? "\(error)"))
        }
        let load: RunningLoad
        switch loads.begin(
            database: initial.database, table: descriptions[0].table, label: initial.label, options: clauseOptions[0])
        {
        case .failure(let failure):
            return cancelled(BrokerLoadFailure(.loadRunFail, failure.result.message))
        case .success(let running):
            load = running
        }
        state.withLock { s in
            update(id, in: &s) { job in
                job.transactionID = load.transaction.id; return nil
            }
        }
        do {
            var done = 0
            for (k, description) in descriptions.enumerated() {
                if k > 0 { try load.nextTable(description.table, options: clauseOptions[k]) }
                let progress: (Int) -> Void = { [done] bytes in
                    self.state.withLock { s in
                        self.update(id, in: &s, journal: false) { job in
                            job.counters.scanBytes = done + bytes
                            return nil
                        }
                    }
                }
                if try description.resolvedFormat() == .parquet {
                    try ParquetFeed(source: source, timeZone: clauseOptions[k].timeZone).feed(
                        fileSets[k], into: load, interrupt: interruption, progress: progress)
                } else {
                    try FileFeed(source: source).feed(
                        fileSets[k], into: load, interrupt: interruption, progress: progress)
                }
                done += fileSets[k].reduce(0) { $0 + $1.size }
            }
        } catch {
            var failure: BrokerLoadFailure
            var logs: LoadResult?
            switch error {
            case let stop as FileFeed.Interrupted:
                failure = BrokerLoadFailure(
                    stop.error.code == .cancelled ? .userCancel : .loadRunFail, stop.error.message)
                _ = load.abort(stop.error.message, code: stop.error.code)
            case let read as FileSourceError:
                failure = BrokerLoadFailure(.loadRunFail, read.message)
                _ = load.abort(read.message, code: .invalidArgument)
            case let parquet as ParquetError:
                failure = BrokerLoadFailure(.loadRunFail, parquet.message)
                _ = load.abort(parquet.message, code: .invalidArgument)
            case let loadError as LoadError where loadError.code == .tooManyFilteredRows:
                // A finished clause (several DATA INFILE) broke max_filter_ratio.
                failure = BrokerLoadFailure(.etlQualityUnsatisfied, "quality not good enough to cancel")
                logs = load.abort(loadError.message, code: loadError.code)
            case let loadError as LoadError:
                failure = BrokerLoadFailure(.loadRunFail, loadError.message)
                _ = load.abort(loadError.message, code: loadError.code)
            default:
                failure = BrokerLoadFailure(.loadRunFail, "\(error)")
                _ = load.abort("\(error)", code: .storage)
            }
            return cancelled(failure) { job in
                job.counters = Self.counters(load.counters, bytes: job.counters.scanBytes)
                job.errorLogName = logs?.errorLogName
                job.rejectedRecordPath = logs?.rejectedRecordPath
            }
        }
        // A cancel or the timeout that came while the last chunk was read still wins: nothing commits.
        if let stop = interruption() {
            _ = load.abort(stop.message, code: stop.code)
            return cancelled(BrokerLoadFailure(stop.code == .cancelled ? .userCancel : .loadRunFail, stop.message)) {
                job in job.counters = Self.counters(load.counters, bytes: size)
            }
        }
        var counters = Self.counters(load.counters, bytes: size)
        let attachment = Array((try? JSONEncoder().encode(counters)) ?? Data())
        let result = load.finish(.commit(attachment: attachment))
        counters = Self.counters(result.counters, bytes: size)
        guard result.status == .success else {
            let failure =
                result.errorCode == .tooManyFilteredRows
                ? BrokerLoadFailure(.etlQualityUnsatisfied, "quality not good enough to cancel")
                : BrokerLoadFailure(.loadRunFail, result.message)
            return cancelled(failure) { job in
                job.counters = counters
                job.errorLogName = result.errorLogName
                job.rejectedRecordPath = result.rejectedRecordPath
            }
        }
        state.withLock { s in
            update(id, in: &s) { job in
                job.counters = counters
                job.errorLogName = result.errorLogName
                job.rejectedRecordPath = result.rejectedRecordPath
                job.loadFinishTime = Self.now()
                return .finish
            }
        }
        logger.info(
            "broker load finished",
            metadata: [
                "label": "\(initial.label)", "files": "\(files.count)", "bytes": "\(size)",
                "loaded": "\(counters.loadedRows)", "filtered": "\(counters.filteredRows)",
                "read_ms": "\(result.readMilliseconds)", "write_ms": "\(result.writeMilliseconds)",
                "commit_ms": "\(result.commitMilliseconds)", "total_ms": "\(result.totalMilliseconds)",
            ])
    }

    private static func counters(_ c: LoadCounters, bytes: Int) -> BrokerLoadCounters {
        var counters = BrokerLoadCounters()
        counters.scanRows = c.totalRows
        counters.scanBytes = bytes
        counters.loadedRows = c.loadedRows
        counters.filteredRows = c.filteredRows
        counters.unselectedRows = c.unselectedRows
        counters.loadedBytes = c.receivedBytes
        return counters
    }

    /// Changes job `id` under the lock: `change` edits it and names the event it undergoes (nil:
    /// no state change); a refused event changes nothing. Journaled unless `journal` is false
    /// (progress between chunks).
    private func update(
        _ id: Int64, in s: inout State, journal: Bool = true, _ change: (inout BrokerLoadJob) -> BrokerLoadState.Event?
    ) {
        guard var job = s.jobs[id] else { return }
        let before = job
        if let event = change(&job) {
            guard let next = job.state.after(event) else { return }
            job.state = next
        }
        s.jobs[id] = job
        guard journal, job != before else { return }
        do {
            try engine.putFileLoadJob(record(of: job))
        } catch {
            logger.error("cannot journal broker load job", metadata: ["label": "\(job.label)", "error": "\(error)"])
        }
    }

    private func record(of job: BrokerLoadJob) -> FileLoadJobRecord {
        let databaseID = (try? engine.database(job.database).id) ?? -1
        return FileLoadJobRecord(
            id: job.id, databaseID: databaseID, kind: .broker, name: job.label, payload: job.encoded())
    }
}
