package import SluiceFormat
import SluiceIO
package import SluiceStorage
package import SluiceTxn
import Synchronization

/// The outcome of one load, protocol-neutral (the HTTP layer renders it as StarRocks' JSON).
package struct LoadResult: Sendable {
    package enum Status: Sendable, Equatable {
        case success
        /// The label is in use; `existingJobStatus` is `RUNNING` or `FINISHED`.
        case labelAlreadyExists(existingJobStatus: String)
        case fail
    }

    /// -1 when no transaction was begun.
    package var transactionID: Int64 = -1
    package var label: String
    package var status: Status
    package var message: String
    package var counters = LoadCounters()
    package var errorCode: LoadError.Code?
    /// Milliseconds spent per phase.
    package var beginMilliseconds = 0
    package var planMilliseconds = 0
    package var readMilliseconds = 0
    package var writeMilliseconds = 0
    package var commitMilliseconds = 0
    package var totalMilliseconds = 0
    /// Name of the error log under `errors/`, when rows were rejected.
    package var errorLogName: String?
    /// The first rejected row's error-log line (`Error: <reason>. Row: <row>`), if any.
    package var firstError: String?
    /// Local path of the saved rejected records (`log_rejected_record_num`), when any were saved.
    package var rejectedRecordPath: String?
    /// The handle of a load finished with `.prepare`: commit or roll it back by this, never by
    /// looking the label up again.
    package var prepared: PreparedTransaction?

    /// Rows this load wrote: none when it failed for a reason other than data quality (a full
    /// disk, a timeout, a dropped table); for `too many filtered rows` StarRocks still reports
    /// the rows that passed.
    package var loadedRows: Int {
        status == .fail && errorCode != .tooManyFilteredRows ? 0 : counters.loadedRows
    }

    package init(label: String, status: Status, message: String) {
        self.label = label
        self.status = status
        self.message = message
    }
}

/// Runs loads: begin a transaction under the label, stream the body through a ``LoadSession``,
/// commit (one journal record) or abort. Used by Stream Load over HTTP and, later, Routine Load.
package final class LoadService: Sendable {
    package let engine: StorageEngine
    package let transactions: TransactionManager
    private let totals = Mutex(LoadStatistics())

    /// Totals over the loads of this process so far.
    package var statistics: LoadStatistics { totals.withLock { $0 } }

    /// Counts a Stream Load answer by the `Status` word the protocol answered with (called once
    /// per answered request).
    package func recordAnswer(_ status: String) {
        totals.withLock { $0.answers[status, default: 0] += 1 }
    }

    func recordWritten(_ counters: LoadCounters) {
        totals.withLock { $0.addWritten(counters) }
    }

    /// What running loads may buffer together; each load's flush threshold comes out of it.
    package let memoryBudget: LoadMemoryBudget

    package init(
        engine: StorageEngine, transactions: TransactionManager,
        memoryBudget: LoadMemoryBudget = LoadMemoryBudget(total: .max)
    ) {
        self.engine = engine
        self.transactions = transactions
        self.memoryBudget = memoryBudget
    }

    /// Begins a load. On failure the result says why (label clash, unknown table, bad mapping).
    /// - Parameter configure: validates the remaining options after the transaction began
    ///   (StarRocks parses most headers after `begin`); a thrown ``LoadError`` aborts it.
    package func begin(
        database: String, table: String, label: String, options: LoadOptions,
        configure: (inout LoadOptions, TableMeta) throws -> Void = { _, _ in }
    ) -> Result<RunningLoad, LoadResultFailure> {
        let clock = ContinuousClock()
        let start = clock.now
        let transaction: Transaction
        do {
            transaction = try transactions.begin(database: database, label: label)
        } catch {
            if error.code == .labelAlreadyExists {
                return .failure(
                    .init(
                        LoadResult(
                            label: label,
                            status: .labelAlreadyExists(existingJobStatus: error.existingJobStatus ?? "RUNNING"),
                            message: error.message)))
            }
            var result = LoadResult(label: label, status: .fail, message: error.message)
            if error.code == .unknownDatabase { result.errorCode = .tableMissing }
            return .failure(.init(result))
        }
        let begun = clock.now
        return open(
            transaction, table: table, options: options, startedAt: start,
            beginMilliseconds: Self.milliseconds(begun - start),
            configure: configure)
    }

    /// Opens a load for a transaction that already began (the transaction interface's first
    /// `load`). On failure the transaction is aborted and the result says why — except, with
    /// `keepOpenWhenBusy`, a refusal for lack of load memory (`.tooBusy`), which leaves it open
    /// for the client to retry the same request.
    package func open(
        _ transaction: Transaction, table: String, options: LoadOptions,
        startedAt start: ContinuousClock.Instant? = nil, keepOpenWhenBusy: Bool = false,
        beginMilliseconds: Int = 0, configure: (inout LoadOptions, TableMeta) throws -> Void = { _, _ in }
    ) -> Result<RunningLoad, LoadResultFailure> {
        let clock = ContinuousClock()
        let planStart = clock.now
        func fail(_ message: String, code: LoadError.Code?) -> Result<RunningLoad, LoadResultFailure> {
            if !(keepOpenWhenBusy && code == .tooBusy) { transactions.abort(transaction, reason: message) }
            var result = LoadResult(label: transaction.label, status: .fail, message: message)
            result.transactionID = transaction.id
            result.errorCode = code
            return .failure(.init(result))
        }
        let meta: TableMeta
        do {
            meta = try engine.table(database: transaction.database, name: table)
        } catch {
            return fail("unknown table \"\(transaction.database).\(table)\"", code: .tableMissing)
        }
        var options = options
        var grant = 0
        do {
            try configure(&options, meta)
            guard let granted = memoryBudget.reserve(options.memoryLimit) else {
                throw LoadError(
                    .tooBusy,
                    "too busy: the running loads hold the whole load memory budget "
                        + "(load.total_memory_limit_bytes, \(memoryBudget.total >> 20) MiB); retry shortly with the same label"
                )
            }
            grant = granted
            options.memoryLimit = grant
            let session = try LoadSession(engine: engine, table: meta, options: options)
            let load = RunningLoad(
                service: self, transaction: transaction, session: session, startedAt: start ?? planStart,
                beginMilliseconds: beginMilliseconds, planMilliseconds: Self.milliseconds(clock.now - planStart),
                memoryGrant: grant)
            return .success(load)
        } catch let error as LoadError {
            memoryBudget.release(grant)
            return fail(error.message, code: error.code)
        } catch {
            memoryBudget.release(grant)
            return fail("\(error)", code: nil)
        }
    }

    /// Whole milliseconds of a duration.
    package static func milliseconds(_ d: Duration) -> Int {
        Int(d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Writes the error log of a load into table `tableID` and returns its name.
    func writeErrorLog(_ log: ErrorLog, transaction: Transaction, tableID: Int64) -> String? {
        let name = ErrorLog.name(
            createdAt: Int64(ContinuousClockEpoch.nowSeconds()), transactionID: transaction.id, tableID: tableID)
        return try? log.write(fileSystem: engine.fileSystem, directory: engine.directory.errorsDirectory, name: name)
    }
}

/// A failed ``LoadService/begin(database:table:label:options:configure:)``, carrying its result.
package struct LoadResultFailure: Error, Sendable {
    package var result: LoadResult
    init(_ result: LoadResult) { self.result = result }
}

/// A load whose transaction is open: feed it the body, then finish or abort it.
///
/// Single owner: the caller feeds chunks one at a time (off the cooperative pool, since segment
/// flushes fsync).
package final class RunningLoad: @unchecked Sendable {
    package let transaction: Transaction
    private let service: LoadService
    /// The table rows go to now.
    private var session: LoadSession
    /// Tables whose rows are complete (``nextTable(_:options:)``), committed with the current one.
    private var finishedParts: [(write: PreparedWrite, session: LoadSession)] = []
    private var sessions: [LoadSession] { finishedParts.map(\.session) + [session] }
    private let startedAt: ContinuousClock.Instant
    private var result: LoadResult
    private var readTime = Duration.zero
    private var closed = false
    /// Bytes of the service's memory budget this load holds until it ends (its flush threshold).
    package private(set) var memoryGrant: Int

    init(
        service: LoadService, transaction: Transaction, session: LoadSession, startedAt: ContinuousClock.Instant,
        beginMilliseconds: Int, planMilliseconds: Int, memoryGrant: Int = 0
    ) {
        self.memoryGrant = memoryGrant
        self.service = service
        self.transaction = transaction
        self.session = session
        self.startedAt = startedAt
        self.result = LoadResult(label: transaction.label, status: .success, message: "OK")
        result.transactionID = transaction.id
        result.beginMilliseconds = beginMilliseconds
        result.planMilliseconds = planMilliseconds
    }

    /// Counters so far, over every table of the load.
    package var counters: LoadCounters { sessions.reduce(LoadCounters()) { $0 + $1.counters } }

    /// Ends the current table's rows and sends the rows that follow into `table` with `options`,
    /// in the same transaction: ``finish(_:)`` commits every table's rows at once, under the one
    /// label (a Broker Load of several `DATA INFILE` clauses). The finished table's filter ratio
    /// is checked now.
    /// - Throws: ``LoadError`` — the finished rows fail (`.tooManyFilteredRows`, `.storage`), an
    ///   unknown table, a bad mapping. Abort the load then.
    package func nextTable(_ table: String, options: LoadOptions) throws {
        precondition(!closed, "nextTable after finish")
        let prepared = try session.finish()
        finishedParts.append((prepared, session))
        let meta: TableMeta
        do {
            meta = try service.engine.table(database: transaction.database, name: table)
        } catch {
            throw LoadError(.tableMissing, "unknown table \"\(transaction.database).\(table)\"")
        }
        var options = options
        if memoryGrant > 0 { options.memoryLimit = memoryGrant }
        session = try LoadSession(engine: service.engine, table: meta, options: options)
    }

    /// Parses and writes a chunk.
    package func consume(_ chunk: UnsafeRawBufferPointer) throws {
        let clock = ContinuousClock()
        let start = clock.now
        try session.consume(chunk)
        readTime += clock.now - start
    }

    /// The source fields the data carries and their arrival types (see
    /// ``LoadSession/fileFieldNames``).
    package var fileFieldNames: [String] { session.fileFieldNames }
    package var fileFieldTypes: [ColumnType?] { session.fileFieldTypes }

    /// `COLUMNS FROM PATH`: the source fields each body's file path gives.
    package var columnsFromPath: [String] { session.options.columnsFromPath }

    /// The next body's path values (see ``LoadSession/setPathValues(_:)``).
    package func setPathValues(_ values: [String?]) throws {
        try session.setPathValues(values)
    }

    /// Adds rows given as source columns (see ``LoadSession/consume(columns:failures:rows:bytes:describe:)``).
    package func consume(
        columns: [ColumnVector], failures: [ParseFailures], rows: Int, bytes: Int,
        describe: @escaping @Sendable (Int) -> [UInt8]
    ) throws {
        let clock = ContinuousClock()
        let start = clock.now
        try session.consume(columns: columns, failures: failures, rows: rows, bytes: bytes, describe: describe)
        readTime += clock.now - start
    }

    /// Ends one request's body (see ``LoadSession/endBody()``).
    package func endBody() throws {
        try session.endBody()
    }

    /// How ``finish(_:)`` ends the transaction.
    package enum Completion: Sendable {
        /// Publish at once (Stream Load, one-phase commit), storing `attachment` and the source
        /// offsets `source` with the commit.
        case commit(attachment: [UInt8]? = nil, source: SourceBatch? = nil)
        /// Make durable but invisible (2PC prepare), aborted after `timeoutSeconds` if not
        /// committed; `attachment` and `source` are committed with it later.
        case prepare(timeoutSeconds: Int64, attachment: [UInt8]? = nil, source: SourceBatch? = nil)

        package static var commit: Completion { .commit(attachment: nil, source: nil) }
    }

    /// Bytes consumed so far.
    package var receivedBytes: Int { counters.receivedBytes }

    /// Finishes the body, applies the filter ratio, commits or prepares. Always ends the
    /// transaction's open phase.
    package func finish(_ completion: Completion = .commit) -> LoadResult {
        precondition(!closed, "finish twice")
        closed = true
        let clock = ContinuousClock()
        let writeStart = clock.now
        let prepared: PreparedWrite
        do {
            prepared = try session.finish()
        } catch let error as LoadError {
            return failed(error.message, code: error.code)
        } catch {
            return failed("\(error)", code: nil)
        }
        let commitStart = clock.now
        result.writeMilliseconds = LoadService.milliseconds(commitStart - writeStart + readTime)
        result.readMilliseconds = LoadService.milliseconds(readTime)
        do {
            switch completion {
            case .commit(let attachment, _) where !finishedParts.isEmpty:
                try service.transactions.commit(
                    transaction, writes: finishedParts.map(\.write) + [prepared], attachment: attachment)
            case .commit(let attachment, let source):
                try service.transactions.commit(
                    transaction, write: prepared, attachment: attachment, source: counted(source))
            case .prepare where !finishedParts.isEmpty:
                throw LoadError(.invalidArgument, "a load into several tables commits at once; it cannot be prepared")
            case .prepare(let timeout, let attachment, let source):
                result.prepared = try service.transactions.prepare(
                    transaction, write: prepared, attachment: attachment, source: counted(source),
                    timeoutSeconds: timeout)
            }
        } catch {
            service.engine.discard(prepared)
            for part in finishedParts { service.engine.discard(part.write) }
            finishedParts.removeAll()
            service.transactions.abort(transaction, reason: "\(error)")
            return failed("\(error)", code: Self.code(of: error), alreadyAborted: true)
        }
        result.commitMilliseconds = LoadService.milliseconds(clock.now - commitStart)
        return completed()
    }

    /// The load error code of a failed commit or prepare.
    static func code(of error: any Error) -> LoadError.Code {
        guard let storage = error as? StorageError else { return .storage }
        switch storage.code {
        case .unknownDatabase, .unknownTable, .unknownPartition: return .tableMissing
        case .sourceRangeConflict: return .sourceRangeConflict
        case .sourceGap: return .sourceGap
        default: return .storage
        }
    }

    /// `source` with this load's final row and byte counters filled in.
    private func counted(_ source: SourceBatch?) -> SourceBatch? {
        guard var source else { return nil }
        let c = session.counters
        source.counters.totalRows = Int64(c.totalRows)
        source.counters.errorRows = Int64(c.filteredRows)
        source.counters.unselectedRows = Int64(c.unselectedRows)
        source.counters.loadedRows = Int64(c.loadedRows)
        source.counters.receivedBytes = Int64(c.receivedBytes)
        return source
    }

    /// Aborts with `reason` (client disconnect, timeout, bad body).
    package func abort(_ reason: String, code: LoadError.Code? = nil) -> LoadResult {
        guard !closed else { return result }
        closed = true
        session.abort()
        return failed(reason, code: code)
    }

    private func failed(_ message: String, code: LoadError.Code?, alreadyAborted: Bool = false) -> LoadResult {
        session.abort()
        for part in finishedParts { service.engine.discard(part.write) }
        if !alreadyAborted { service.transactions.abort(transaction, reason: message) }
        result.status = .fail
        result.message = message
        result.errorCode = code
        return completed()
    }

    private func completed() -> LoadResult {
        service.memoryBudget.release(memoryGrant)
        memoryGrant = 0
        result.counters = counters
        service.recordWritten(counters)
        // One error log per table with rejected rows; the result names the first.
        for session in sessions where session.errorLog.rejected > 0 {
            let log = session.errorLog
            if result.firstError == nil { result.firstError = log.entries.first }
            let name = service.writeErrorLog(log, transaction: transaction, tableID: session.table.id)
            if result.errorLogName == nil { result.errorLogName = name }
            let engine = service.engine
            let rejectedName =
                ErrorLog.name(
                    createdAt: Int64(ContinuousClockEpoch.nowSeconds()), transactionID: transaction.id,
                    tableID: session.table.id) + "_rejected"
            if result.rejectedRecordPath == nil,
                let written = try? log.writeRecords(
                    fileSystem: engine.fileSystem, directory: engine.directory.errorsDirectory, name: rejectedName)
            {
                result.rejectedRecordPath = FilePath.join(engine.directory.errorsDirectory, written)
            }
        }
        result.totalMilliseconds = LoadService.milliseconds(ContinuousClock().now - startedAt)
        return result
    }
}
