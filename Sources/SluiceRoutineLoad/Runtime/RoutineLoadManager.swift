import Foundation
package import Logging
import SluiceFormat
package import SluiceLoad
package import SluiceStorage
import SluiceTxn
import Synchronization

/// CREATE ROUTINE LOAD, as parsed.
package struct CreateRoutineLoad: Sendable {
    package var database: String
    package var name: String
    package var table: String
    package var clauses: LoadClauses
    package var properties: [String: String]
    package var source: [String: String]
    /// Whether CREATE contacts the brokers first (jobs declared in the configuration skip it:
    /// the daemon must start while Kafka is down; their settings are still checked).
    package var checkSource: Bool
    /// Who creates the job: it loads with this user's privileges (nil: declared in the
    /// configuration, runs as the server).
    package var owner: UserIdentity?

    package init(
        database: String, name: String, table: String, clauses: LoadClauses, properties: [String: String],
        source: [String: String], checkSource: Bool = true, owner: UserIdentity? = nil
    ) {
        self.checkSource = checkSource
        self.owner = owner
        self.database = database
        self.name = name
        self.table = table
        self.clauses = clauses
        self.properties = properties
        self.source = source
    }
}

/// ALTER ROUTINE LOAD, as parsed.
package struct AlterRoutineLoad: Sendable {
    package var database: String
    package var name: String
    package var clauses: LoadClauses
    package var properties: [String: String]
    package var source: [String: String]

    package init(
        database: String, name: String, clauses: LoadClauses, properties: [String: String], source: [String: String]
    ) {
        self.database = database
        self.name = name
        self.clauses = clauses
        self.properties = properties
        self.source = source
    }
}

/// The Routine Load daemon: owns every job, runs the runnable ones on dedicated threads and
/// answers the job statements. Durable state lives in the storage journal: job definitions as
/// job records, progress only in commit records (so data and offsets commit together).
package final class RoutineLoadManager: Sendable {
    package let service: LoadService
    package let options: RoutineLoadOptions
    let factory: any MessageSourceFactory
    let logger: Logger
    private let jobs = Mutex<[Int64: JobRuntime]>([:])
    /// Jobs this daemon runs against a remote sink (remote-sink mode): shown with the local ones.
    private let remote = Mutex<[RemoteJob]>([])
    /// Serialises job statements (they may wait for a job's threads).
    private let statements = Mutex<Void>(())

    package var engine: StorageEngine { service.engine }

    package init(
        service: LoadService, factory: any MessageSourceFactory, options: RoutineLoadOptions = .init(), logger: Logger
    ) {
        self.service = service
        self.factory = factory
        self.options = options
        self.logger = logger
    }

    // MARK: Lifecycle

    /// Loads every job from the journal and starts the runnable ones. Batches a crash left
    /// planned are settled first (by the job's scheduler, or here for jobs that do not run).
    package func start() {
        let decoder = JSONDecoder()
        for record in engine.sourceJobs where !record.isRemote {
            guard let definition = try? decoder.decode(JobDefinition.self, from: Data(record.definition)) else {
                logger.error("routine load job \(record.id) has an unreadable definition; skipped")
                continue
            }
            let runtime = JobRuntime(definition: definition, now: options.nowMilliseconds())
            jobs.withLock { $0[record.id] = runtime }
            if definition.state.isRunnable {
                schedule(runtime)
            } else {
                settleIntentsWithoutRunning(record, definition: definition)
            }
        }
    }

    /// Stops every job's threads (SIGTERM): batches being formed are dropped, batches being
    /// loaded finish. Job states are unchanged, so runnable jobs resume on the next start.
    package func shutdown(timeout: Duration = .seconds(8)) {
        let runners = jobs.withLock { $0.values.compactMap { $0.state.withLock { $0.runner } } }
        for runner in runners { runner.stop() }
        let deadline = ContinuousClock.now + timeout
        for runner in runners where !runner.join(timeout: max(.zero, deadline - .now)) {
            logger.warning("routine load job \(runner.runtime.id) did not stop in time")
        }
    }

    private func settleIntentsWithoutRunning(_ record: SourceJob, definition: JobDefinition) {
        for label in record.intents.keys {
            if let prepared = try? service.transactions.preparedTransaction(database: definition.database, label: label)
            {
                _ = try? service.transactions.commitPrepared(prepared)
            } else {
                try? engine.planSourceBatch(id: record.id, label: label, ranges: nil)
            }
        }
    }

    private func schedule(_ runtime: JobRuntime) {
        let previous = runtime.state.withLock { $0.runner }
        previous?.stop()
        previous?.join(timeout: .seconds(30))
        let runner = JobRunner(runtime: runtime, manager: self)
        let now = options.nowMilliseconds()
        runtime.state.withLock {
            $0.runner = runner
            $0.windowTotalRows = 0
            $0.windowErrorRows = 0
            $0.registryFailures = 0
            $0.tasks = [:]
            $0.source = SourceHealth(since: now)
        }
        runner.start()
    }

    // MARK: Statements

    /// CREATE ROUTINE LOAD. Jobs declared in the configuration use this too.
    package func create(_ statement: CreateRoutineLoad) throws(RoutineLoadError) {
        let parsed = try Self.checked { try JobProperties(properties: statement.properties, source: statement.source) }
        // The name, table and load clauses first, then the source (as StarRocks analyzes); the
        // name is checked again under the lock.
        try checkNameFree(statement)
        let provisional = definition(statement, parsed)
        try validate(provisional)
        if statement.checkSource {
            try checkSource(parsed, database: statement.database, offsets: provisional.pendingOffsets)
        } else {
            try checkSettings(parsed, database: statement.database)
        }
        try serialized { () throws(RoutineLoadError) in
            try checkNameFree(statement)
            var definition = definition(statement, parsed)
            try validate(definition)
            let encoder = JSONEncoder()
            let id: Int64
            do {
                id = try engine.createSourceJob(database: statement.database, name: statement.name) { id in
                    definition.id = id
                    if definition.groupID.isEmpty { definition.groupID = "\(statement.name)_sluice_\(id)" }
                    return Array(try encoder.encode(definition))
                }
            } catch {
                throw RoutineLoadError(.storage, "\(error)")
            }
            precondition(definition.id == id, "the journaled definition carries its id")
            let runtime = JobRuntime(definition: definition, now: options.nowMilliseconds())
            jobs.withLock { $0[id] = runtime }
            logger.info(
                "routine load job created", metadata: ["job": "\(statement.database).\(statement.name)", "id": "\(id)"])
            schedule(runtime)
        }
    }

    /// The job a CREATE declares for remote-sink mode: its properties and load settings checked
    /// (the table lives on the sink, which checks the mapping at each load), not journaled here.
    package func remoteDefinition(_ statement: CreateRoutineLoad) throws(RoutineLoadError) -> JobDefinition {
        let parsed = try Self.checked { try JobProperties(properties: statement.properties, source: statement.source) }
        try checkSettings(parsed, database: nil)
        if parsed.format == "avro" {
            // The sink's interface takes text bodies; a daemon would have to re-encode each message.
            throw RoutineLoadError(
                .invalidProperty,
                "format avro is not supported for remote-sink jobs yet: create the job on the sink itself "
                    + "(CREATE ROUTINE LOAD there reads Avro)")
        }
        let definition = definition(statement, parsed)
        do {
            _ = try definition.loadOptions(memoryLimit: options.memoryLimit)
            _ = try definition.messageDelimiter()
        } catch {
            throw RoutineLoadError(.invalidProperty, "\(error)")
        }
        return definition
    }

    private func checkNameFree(_ statement: CreateRoutineLoad) throws(RoutineLoadError) {
        if jobsNamed(statement.name, database: statement.database).contains(where: { !$0.definition.state.isFinal }) {
            throw RoutineLoadError(.alreadyExists, "Name \(statement.name) already used in db \(statement.database)")
        }
    }

    /// The job a CREATE describes (id 0 until journaled).
    private func definition(_ statement: CreateRoutineLoad, _ properties: JobProperties) -> JobDefinition {
        var definition = JobDefinition(
            id: 0, name: statement.name, database: statement.database, table: statement.table,
            clauses: statement.clauses,
            properties: properties, rawProperties: statement.properties.merging(statement.source) { a, _ in a },
            createTime: options.now(), groupID: properties.clientProperties["group.id"] ?? "")
        definition.owner = statement.owner
        if let partitions = properties.partitions, let offsets = properties.offsets {
            definition.pendingOffsets = Dictionary(uniqueKeysWithValues: zip(partitions, offsets))
        }
        return definition
    }

    package func pause(database: String, name: String, user: String = "root") throws(RoutineLoadError) {
        try serialized { () throws(RoutineLoadError) in
            let runtime = try operable(database: database, name: name)
            try transition(runtime, .pause(user: user))
            join(runtime)
        }
    }

    package func resume(database: String, name: String) throws(RoutineLoadError) {
        try serialized { () throws(RoutineLoadError) in
            let runtime = try operable(database: database, name: name)
            try transition(runtime, .resume)
            runtime.state.withLock { $0.otherMessage = "" }
            schedule(runtime)
        }
    }

    package func stop(database: String, name: String, user: String = "root") throws(RoutineLoadError) {
        try serialized { () throws(RoutineLoadError) in
            let runtime = try operable(database: database, name: name)
            try transition(runtime, .stop(user: user))
            join(runtime)
        }
    }

    /// ALTER of a PAUSED job: properties, load clauses, partitions' offsets, `property.*`.
    package func alter(_ statement: AlterRoutineLoad) throws(RoutineLoadError) {
        try serialized { () throws(RoutineLoadError) in
            let runtime = try operable(database: statement.database, name: statement.name)
            var machine = JobStateMachine(state: runtime.definition.state)
            try machine.handle(.alter, jobName: statement.name)
            var definition = runtime.definition
            let reloadBefore = definition.properties.reloadCommittedOffsets
            try Self.checked { try definition.properties.apply(properties: statement.properties) }
            definition.clauses.merge(statement.clauses)
            var source = definition.properties
            source.partitions = nil
            source.offsets = nil
            try Self.checked { try source.apply(source: statement.source, creating: false) }
            if let partitions = source.partitions {
                let consumed = Set(
                    definition.properties.partitions ?? engine.sourceJob(id: runtime.id).map { Array($0.position.keys) }
                        ?? [])
                for p in partitions where !consumed.contains(p) {
                    throw RoutineLoadError(
                        .invalidProperty,
                        definition.properties.partitions == nil
                            ? "The specified partition is not in the consumed partitions "
                            : "The specified partition \(p) is not in the custom partitions")
                }
                if let offsets = source.offsets {
                    for (p, offset) in zip(partitions, offsets) { definition.pendingOffsets[p] = offset }
                }
            }
            source.partitions = definition.properties.partitions
            source.offsets = definition.properties.offsets
            definition.properties = source
            try definition.properties.checkFormat()
            if definition.properties.reloadCommittedOffsets, !reloadBefore { definition.reloadEpoch += 1 }
            if !statement.source.isEmpty {
                var offsets = [Int32: KafkaStartOffset]()
                if let partitions = source.partitions, let starts = source.offsets {
                    offsets = Dictionary(uniqueKeysWithValues: zip(partitions, starts))
                }
                try checkSource(definition.properties, database: definition.database, offsets: offsets)
            }
            for (key, value) in statement.properties.merging(statement.source, uniquingKeysWith: { a, _ in a }) {
                definition.rawProperties[key] = value
            }
            try validate(definition)
            let explicit = definition.pendingOffsets.compactMapValues { if case .offset(let n) = $0 { n } else { nil } }
            do {
                if !explicit.isEmpty { try engine.setSourcePosition(id: runtime.id, position: explicit) }
            } catch {
                throw RoutineLoadError(.storage, "\(error)")
            }
            for p in explicit.keys { definition.pendingOffsets[p] = nil }
            let final = definition
            try update(runtime) { $0 = final }
        }
    }

    /// Forgets STOPPED and CANCELLED jobs that ended more than `keepSeconds` ago (StarRocks
    /// keeps them for `label_keep_max_second`). - Returns: how many were removed.
    @discardableResult
    package func removeExpiredJobs(keepSeconds: Int64) -> Int {
        let cutoff = options.now() - keepSeconds
        let expired = allJobs.filter { runtime in
            let d = runtime.definition
            return d.state.isFinal && (d.endTime ?? d.createTime) < cutoff
        }
        for runtime in expired {
            do {
                try engine.dropSourceJob(id: runtime.id)
                _ = jobs.withLock { $0.removeValue(forKey: runtime.id) }
            } catch {
                logger.warning("cannot remove expired routine load job \(runtime.id): \(error)")
            }
        }
        return expired.count
    }

    // MARK: Lookup

    func jobsNamed(_ name: String, database: String) -> [JobRuntime] {
        jobs.withLock { Array($0.values) }.filter {
            let d = $0.definition
            return d.name == name && d.database == database
        }.sorted { $0.id < $1.id }
    }

    /// Whether a non-final job of that name exists.
    package func isActive(database: String, name: String) -> Bool {
        jobsNamed(name, database: database).contains { !$0.definition.state.isFinal }
    }

    /// The non-final job of that name (PAUSE, RESUME, STOP, ALTER).
    private func operable(database: String, name: String) throws(RoutineLoadError) -> JobRuntime {
        guard let runtime = jobsNamed(name, database: database).last(where: { !$0.definition.state.isFinal }) else {
            throw RoutineLoadError(.notFound, "There is not operable routine load job with name \(name)")
        }
        return runtime
    }

    /// The table the non-final job `name` loads into; nil when there is no such job.
    package func table(database: String, name: String) throws(RoutineLoadError) -> String? {
        jobsNamed(name, database: database).last(where: { !$0.definition.state.isFinal })?.definition.table
    }

    /// Registers a running remote-sink job (SHOW ROUTINE LOAD lists it).
    package func attach(_ job: RemoteJob) { remote.withLock { $0.append(job) } }

    package var remoteJobs: [RemoteJob] { remote.withLock { $0 } }

    var allJobs: [JobRuntime] { jobs.withLock { Array($0.values) }.sorted { $0.id < $1.id } }

    private func validate(_ definition: JobDefinition) throws(RoutineLoadError) {
        do {
            let table = try engine.table(database: definition.database, name: definition.table)
            var options = try definition.loadOptions(memoryLimit: options.memoryLimit)
            options.nowMicros = 0
            let mapping = try ColumnMapping(
                table: table, columns: options.columns, filter: options.filter, nowMicros: 0,
                timeZone: options.timeZone,
                partialUpdate: options.partialUpdate && table.keysType == .primary)
            _ = try TableModelRules.check(
                table: table, options: options, named: mapping.named,
                unmatched: mapping.sourceNames.filter { table.schema.index(of: $0) == nil })
            for partition in definition.clauses.partitions ?? []
            where !table.partitions.contains(where: { $0.name == partition }) {
                throw RoutineLoadError(.notFound, "Partition \(partition) does not exist")
            }
        } catch let error as RoutineLoadError {
            throw error
        } catch let error as StorageError {
            throw RoutineLoadError(.notFound, error.message)
        } catch let error as LoadError {
            throw RoutineLoadError(.invalidProperty, error.message)
        } catch {
            throw RoutineLoadError(.invalidProperty, "\(error)")
        }
    }

    /// Runs property validation, whose errors are all ``RoutineLoadError``s.
    private static func checked<T>(_ body: () throws -> T) throws(RoutineLoadError) -> T {
        do { return try body() } catch let error as RoutineLoadError { throw error } catch {
            throw RoutineLoadError(.invalidProperty, "\(error)")
        }
    }

    private func serialized<T>(_ body: () throws(RoutineLoadError) -> T) throws(RoutineLoadError) -> T {
        let result: Result<T, RoutineLoadError> = statements.withLock { _ in
            do throws(RoutineLoadError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    private func join(_ runtime: JobRuntime) {
        let runner = runtime.state.withLock { $0.runner }
        runner?.stop()
        runner?.join(timeout: .seconds(30))
    }

    // MARK: State changes (journaled)

    /// Mutates the definition and journals it.
    func update(_ runtime: JobRuntime, _ body: (inout JobDefinition) -> Void) throws(RoutineLoadError) {
        let result: Result<Void, RoutineLoadError> = runtime.state.withLock { shared in
            var definition = shared.definition
            body(&definition)
            do {
                try engine.updateSourceJob(id: runtime.id, definition: Array(try JSONEncoder().encode(definition)))
            } catch {
                return .failure(RoutineLoadError(.storage, "\(error)"))
            }
            shared.definition = definition
            return .success(())
        }
        try result.get()
    }

    private func transition(_ runtime: JobRuntime, _ event: JobStateMachine.Event) throws(RoutineLoadError) {
        var machine = JobStateMachine(state: runtime.definition.state, reason: runtime.definition.reason)
        try machine.handle(event, jobName: runtime.definition.name)
        let now = options.now()
        try update(runtime) { d in
            d.state = machine.state
            d.reason = machine.reason
            switch machine.state {
            case .paused: d.pauseTime = now
            case .stopped, .cancelled: d.endTime = now
            case .needSchedule, .running: d.pauseTime = nil
            }
        }
        // A fault that pauses or cancels a job needs an operator: warning; the rest is routine.
        let byFault =
            (machine.state == .paused || machine.state == .cancelled)
            && ![ErrorReason.manualPause, ErrorReason.manualStop].contains(machine.reason?.code ?? 0)
        logger.log(
            level: byFault ? .warning : .info, "routine load job \(machine.state.rawValue)",
            metadata: [
                "job": "\(runtime.definition.database).\(runtime.definition.name)",
                "reason": "\(machine.reason?.description ?? "")",
            ])
        if !machine.state.isRunnable { runtime.state.withLock { $0.runner }?.stop() }
    }

    /// A task or the scheduler pauses the job (error rows, data loss, bad configuration).
    func fail(_ runtime: JobRuntime, _ reason: ErrorReason) {
        do { try transition(runtime, .fail(reason)) } catch { logger.error("cannot pause job \(runtime.id): \(error)") }
    }

    /// The job's table or database is gone.
    func cancel(_ runtime: JobRuntime, _ reason: ErrorReason) {
        do { try transition(runtime, .cancel(reason)) } catch {
            logger.error("cannot cancel job \(runtime.id): \(error)")
        }
    }

    func markRunning(_ runtime: JobRuntime) {
        runtime.state.withLock { $0.otherMessage = "" }
        if runtime.definition.state == .needSchedule { try? transition(runtime, .scheduled) }
    }

    func note(_ runtime: JobRuntime, _ message: String) {
        let stamp = Self.formatTime(options.now())
        runtime.state.withLock { $0.otherMessage = "\(stamp): \(message)" }
    }

    func observe(_ runtime: JobRuntime, latest: [Int32: Int64]) {
        runtime.state.withLock { $0.latest.merge(latest) { _, new in new } }
    }

    func recordGap(_ runtime: JobRuntime, partition: Int32, from first: Int64, to last: Int64) throws(RoutineLoadError)
    {
        let text =
            "partition \(partition) offsets \(first)-\(last) were deleted by Kafka before they were read; skipped (data loss)"
        logger.warning("\(text)", metadata: ["job": "\(runtime.definition.name)"])
        try update(runtime) { $0.skippedGaps.append(text) }
        note(runtime, text)
    }

    // MARK: Task bookkeeping

    func taskScheduled(_ runtime: JobRuntime, task: Int, positions: [Int32: Int64]) {
        let now = options.now()
        let timeout = runtime.definition.properties.taskTimeoutSecond
        runtime.state.withLock { $0.taskScheduled(task, positions: positions, now: now, timeoutSeconds: timeout) }
    }

    func taskIdle(_ runtime: JobRuntime, task: Int, interval: Int, partitions: [Int32]) {
        let now = options.nowMilliseconds()
        let grace = options.sourceGraceMilliseconds
        runtime.state.withLock {
            if $0.source.silent(partitions, now: now, grace: grace).isEmpty {
                $0.taskIdle(task, interval: interval)
            } else {
                $0.tasks[task]?.message =
                    "Kafka brokers \($0.definition.properties.brokerList) do not answer; retrying"
            }
        }
    }

    /// The source's brokers answered for `partitions` (messages, or a probe while idle).
    func sourceReached(_ runtime: JobRuntime, partitions: [Int32]) {
        let now = options.nowMilliseconds()
        let recovered = runtime.state.withLock { state -> Bool in
            let wasSilent = !state.source.silent(partitions, now: now, grace: options.sourceGraceMilliseconds).isEmpty
            state.source.reached(partitions, at: now)
            return wasSilent
        }
        if recovered {
            logger.notice(
                "routine load source answers again", metadata: ["job": "\(runtime.definition.name)"])
        }
    }

    /// A broker error (transient: the task retries).
    func sourceFailed(_ runtime: JobRuntime, message: String) {
        let now = options.nowMilliseconds()
        runtime.state.withLock { $0.source.failed(message, at: now) }
    }

    func taskClosed(_ runtime: JobRuntime, task: Int, reason: BatchCloseReason) {
        let now = options.now()
        runtime.state.withLock { $0.taskClosed(task, reason: reason, now: now) }
    }

    func taskStarted(_ runtime: JobRuntime, task: Int, transactionID: Int64) {
        runtime.state.withLock { $0.taskStarted(task, transactionID: transactionID) }
    }

    func taskRetry(_ runtime: JobRuntime, task: Int, reason: String) {
        let stamp = Self.formatTime(options.now())
        runtime.state.withLock { $0.taskRetried(task, reason: reason, stamp: stamp) }
        logger.warning(
            "routine load batch retried", metadata: ["job": "\(runtime.definition.name)", "reason": "\(reason)"])
    }

    func taskAborted(_ runtime: JobRuntime, task: Int, reason: String, errorLog: String?) {
        runtime.state.withLock { $0.taskAborted(task) }
        if let errorLog { try? update(runtime) { Self.remember(errorLog, in: &$0) } }
    }

    /// §3.8: after each committed batch the error window may pause the job.
    func taskCommitted(_ runtime: JobRuntime, task: Int, counters: LoadCounters, errorLog: String?) {
        let properties = runtime.definition.properties
        let tooMany = runtime.state.withLock {
            $0.taskCommitted(
                task, totalRows: counters.totalRows, errorRows: counters.filteredRows,
                maxErrors: Int64(properties.maxErrorNumber), window: Int64(properties.maxBatchRows) * 10)
        }
        if let errorLog { try? update(runtime) { Self.remember(errorLog, in: &$0) } }
        if tooMany {
            fail(runtime, ErrorReason(ErrorReason.tooManyFailureRows, "current error rows is more than max error num"))
        }
    }

    private static func remember(_ errorLog: String, in definition: inout JobDefinition) {
        definition.errorLogNames.append(errorLog)
        if definition.errorLogNames.count > 3 {
            definition.errorLogNames.removeFirst(definition.errorLogNames.count - 3)
        }
    }

    /// `yyyy-MM-dd HH:mm:ss` (UTC) for SHOW output and messages.
    static func formatTime(_ seconds: Int64) -> String { CivilTime.formatDateTime(seconds * CivilTime.microsPerSecond) }
}
