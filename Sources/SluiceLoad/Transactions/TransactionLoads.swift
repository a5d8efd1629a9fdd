public import SluiceStorage
import SluiceTxn
import Synchronization

/// The Stream Load transaction interface (spec §2), protocol-neutral: `begin`, any number of
/// `load`s, `prepare`, `commit`, `rollback`. The HTTP routes and (later) Routine Load call it.
///
/// Open transactions (PREPARE) live here in memory with their load session; PREPARED ones live in
/// the storage journal and survive restarts. Each label takes one request at a time
/// (`TXN_IN_PROCESSING` otherwise).
public final class TransactionLoads: Sendable {
    public let service: LoadService
    private let open = Mutex<[Key: Entry]>([:])

    struct Key: Hashable {
        var database: String
        var label: String
    }

    /// An open transaction. Mutated only by the request that holds `busy`.
    final class Entry: @unchecked Sendable {
        let transaction: Transaction
        let table: String
        let deadline: ContinuousClock.Instant
        let idleTimeout: Duration?
        var lastActivity: ContinuousClock.Instant
        var load: RunningLoad?
        var signature: String?
        var busy = false

        init(transaction: Transaction, table: String, timeout: Duration, idleTimeout: Duration?) {
            self.transaction = transaction
            self.table = table
            let now = ContinuousClock().now
            self.deadline = now + timeout
            self.idleTimeout = idleTimeout
            self.lastActivity = now
        }
    }

    public init(service: LoadService) { self.service = service }

    var transactions: TransactionManager { service.transactions }

    // MARK: begin

    public func begin(database: String, table: String, label: String, timeoutSeconds: Int, idleTimeoutSeconds: Int?)
        -> TransactionAnswer
    {
        let clock = ContinuousClock()
        let start = clock.now
        let key = Key(database: database, label: label)
        if open.withLock({ $0[key] != nil }) {
            var answer = TransactionAnswer(.begin, .labelAlreadyExists, "", label: label)
            answer.existingJobStatus = ""
            return answer
        }
        do {
            _ = try service.engine.table(database: database, name: table)
        } catch {
            return TransactionAnswer(.begin, .failed, "unknown table \"\(database).\(table)\"", label: label)
                .fromFrontend()
        }
        let transaction: Transaction
        do {
            transaction = try transactions.begin(database: database, label: label)
        } catch let error as TransactionError {
            if error.code == .labelAlreadyExists {
                var answer = TransactionAnswer(.begin, .labelAlreadyExists, error.message, label: label)
                answer.existingJobStatus = error.existingJobStatus
                return answer
            }
            return TransactionAnswer(.begin, .failed, error.message, label: label).fromFrontend()
        } catch {
            return TransactionAnswer(.begin, .internalError, "\(error)", label: label)
        }
        let entry = Entry(
            transaction: transaction, table: table, timeout: .seconds(timeoutSeconds),
            idleTimeout: idleTimeoutSeconds.map { .seconds($0) })
        open.withLock { $0[key] = entry }
        var answer = TransactionAnswer(.begin, .ok, "", label: label, transactionID: transaction.id)
        answer.beginMilliseconds = LoadService.milliseconds(clock.now - start)
        return answer
    }

    // MARK: load

    /// Claims the open transaction for one `load` request and returns its running load (opened
    /// with `options` on the first load). Call ``endLoad(_:)`` afterwards.
    /// - Parameter signature: the request's data headers; later loads must repeat them exactly.
    public func startLoad(
        database: String, label: String, table: String?, signature: String, options: LoadOptions,
        configure: @escaping (inout LoadOptions, TableMeta) throws -> Void
    ) -> Result<LoadTicket, TransactionAnswer> {
        let key = Key(database: database, label: label)
        let claimed: Result<Entry, TransactionAnswer> = open.withLock { entries in
            guard let entry = entries[key] else {
                return .failure(self.missing(.load, database: database, label: label))
            }
            if entry.busy {
                return .failure(
                    TransactionAnswer(
                        .load, .inProcessing, "Transaction with label \(label) is in processing", label: label))
            }
            if let table, table != entry.table {
                return .failure(
                    TransactionAnswer(
                        .load, .invalidArgument, "Request table \(table) not equal transaction table \(entry.table)",
                        label: label))
            }
            if let previous = entry.signature, previous != signature {
                return .failure(TransactionAnswer(.load, .internalError, "load request not equal last.", label: label))
            }
            entry.busy = true
            return .success(entry)
        }
        let entry: Entry
        switch claimed {
        case .failure(let answer): return .failure(answer)
        case .success(let e): entry = e
        }
        if entry.load == nil {
            switch service.open(entry.transaction, table: entry.table, options: options, configure: configure) {
            case .failure(let failure):
                _ = open.withLock { $0.removeValue(forKey: key) }
                let status: TransactionAnswer.Status =
                    failure.result.errorCode == .analysis ? .analysisError : .invalidArgument
                return .failure(
                    TransactionAnswer(
                        .load, status, failure.result.message, label: label, transactionID: entry.transaction.id))
            case .success(let load):
                entry.load = load
                entry.signature = signature
            }
        }
        return .success(LoadTicket(entry: entry, startBytes: entry.load!.receivedBytes))
    }

    /// A claimed open transaction: feed ``load`` and hand the ticket back with ``endLoad(_:failure:)``.
    public struct LoadTicket: @unchecked Sendable {
        let entry: Entry
        let startBytes: Int
        public var load: RunningLoad { entry.load! }
        public var transactionID: Int64 { entry.transaction.id }
        public var label: String { entry.transaction.label }
    }

    /// Releases the transaction after a `load` request. A failure (broken body, bad data in a
    /// way that ends the transaction) aborts it.
    public func endLoad(_ ticket: LoadTicket, failure: String? = nil) -> TransactionAnswer {
        let entry = ticket.entry
        let key = Key(database: entry.transaction.database, label: entry.transaction.label)
        if let failure {
            _ = open.withLock { $0.removeValue(forKey: key) }
            _ = entry.load?.abort(failure)
            return TransactionAnswer(
                .load, .internalError, failure, label: entry.transaction.label, transactionID: entry.transaction.id)
        }
        let bytes = (entry.load?.receivedBytes ?? 0) - ticket.startBytes
        open.withLock { _ in
            entry.busy = false
            entry.lastActivity = ContinuousClock().now
        }
        var answer = TransactionAnswer(
            .load, .ok, "", label: entry.transaction.label, transactionID: entry.transaction.id)
        answer.requestBytes = bytes
        return answer
    }

    // MARK: prepare, commit, rollback

    /// Prepares the open transaction; `attachment` (e.g. Kafka offsets) is stored with it and
    /// committed in the same journal record as its rows.
    public func prepare(
        database: String, label: String, timeoutSeconds: Int64, attachment: [UInt8]? = nil, source: SourceBatch? = nil
    ) -> TransactionAnswer {
        finish(
            .prepare, database: database, label: label,
            completion: .prepare(timeoutSeconds: timeoutSeconds, attachment: attachment, source: source))
    }

    /// Commits: one-phase for an open transaction (with `attachment`), or a PREPARED one.
    public func commit(database: String, label: String, attachment: [UInt8]? = nil, source: SourceBatch? = nil)
        -> TransactionAnswer
    {
        if let answer = finish(
            .commit, database: database, label: label, completion: .commit(attachment: attachment, source: source),
            onlyIfOpen: true)
        {
            return answer
        }
        return settle(.commit, database: database, label: label)
    }

    public func rollback(database: String, label: String) -> TransactionAnswer {
        switch takeOpen(Key(database: database, label: label)) {
        case .none:
            return TransactionAnswer(
                .rollback, .inProcessing, "Transaction with label \(label) is in processing", label: label)
        case .some(.some(let entry)):
            if let load = entry.load {
                _ = load.abort("User Aborted")
            } else {
                transactions.abort(entry.transaction, reason: "User Aborted")
            }
            return TransactionAnswer(.rollback, .ok, "", label: label, transactionID: entry.transaction.id)
        case .some(.none):
            return settle(.rollback, database: database, label: label)
        }
    }

    /// Removes and returns the open transaction of `key`: `.some(nil)` when there is none, `nil`
    /// when a request is still working on it (busy).
    private func takeOpen(_ key: Key) -> Entry?? {
        open.withLock { entries in
            guard let entry = entries[key] else { return .some(nil) }
            if entry.busy { return nil }
            entries[key] = nil
            return .some(entry)
        }
    }

    /// Ends the open phase (prepare or one-phase commit). With `onlyIfOpen`, returns nil when the
    /// label has no open transaction.
    private func finish(
        _ operation: TransactionAnswer.Operation, database: String, label: String, completion: RunningLoad.Completion,
        onlyIfOpen: Bool = false
    ) -> TransactionAnswer! {
        switch takeOpen(Key(database: database, label: label)) {
        case .none:
            return TransactionAnswer(
                operation, .inProcessing, "Transaction with label \(label) is in processing", label: label)
        case .some(.none):
            if onlyIfOpen { return nil }
            if (try? transactions.state(database: database, label: label).state) == .unknown {
                return missing(operation, database: database, label: label)
            }
            return TransactionAnswer(
                operation, .transactionNotExists, "transaction with label \(label) not exists", label: label)
        case .some(.some(let entry)):
            guard let load = entry.load else {
                transactions.abort(entry.transaction, reason: "no data")
                return TransactionAnswer(
                    operation, .internalError,
                    "transaction \(entry.transaction.id) with label \(label) hasn't send any data yet", label: label,
                    transactionID: entry.transaction.id)
            }
            let result = load.finish(completion)
            var answer = TransactionAnswer(operation, .ok, "", label: label, transactionID: entry.transaction.id)
            answer.result = result
            if result.status != .success {
                answer.status = .internalError
                answer.message = result.message
            }
            return answer
        }
    }

    /// Commit or rollback of a label without an open transaction: PREPARED, finished, or unknown
    /// (the FE's answers, spec §2.6).
    private func settle(_ operation: TransactionAnswer.Operation, database: String, label: String) -> TransactionAnswer
    {
        do {
            if let prepared = try transactions.preparedTransaction(database: database, label: label) {
                var machine = TransactionStateMachine(state: .prepared)
                let action = machine.handle(
                    operation == .commit ? .commit : .rollback, transactionID: prepared.transactionID, label: label)
                if case .commitPrepared = action {
                    try transactions.commitPrepared(prepared)
                } else {
                    try transactions.abortPrepared(prepared, reason: "User Aborted")
                }
                return TransactionAnswer(operation, .ok, "", label: label, transactionID: prepared.transactionID)
                    .fromFrontend()
            }
            let (state, id, _) = try transactions.state(database: database, label: label)
            guard state != .unknown, let id else {
                return TransactionAnswer(operation, .failed, "No transaction found by label \(label)", label: label)
                    .fromFrontend()
            }
            var machine = TransactionStateMachine(state: state)
            switch machine.handle(operation == .commit ? .commit : .rollback, transactionID: id, label: label) {
            case .alreadyDone(let message):
                return TransactionAnswer(operation, .ok, message, label: label, transactionID: id).fromFrontend()
            case .refuse(let message):
                return TransactionAnswer(operation, .failed, message, label: label, transactionID: id).fromFrontend()
            default:
                return TransactionAnswer(
                    operation, .failed, "unexpected state \(state.rawValue)", label: label, transactionID: id
                ).fromFrontend()
            }
        } catch {
            return TransactionAnswer(operation, .failed, "\(error)", label: label).fromFrontend()
        }
    }

    /// The answer for a label without an open transaction where one is needed.
    private func missing(_ operation: TransactionAnswer.Operation, database: String, label: String) -> TransactionAnswer
    {
        let state = (try? transactions.state(database: database, label: label).state) ?? .unknown
        if state == .unknown {
            return TransactionAnswer(
                operation, .failed,
                "Can't find the transaction with db [\(database)] and label[\(label)]. The possible reasons: 1. FE leader is started or switched; 2. The transaction timeouts and is cleaned.",
                label: label
            ).fromFrontend()
        }
        return TransactionAnswer(
            operation, .transactionNotExists, "transaction with label \(label) not exists", label: label)
    }

    // MARK: timeouts and listing

    /// Aborts open transactions past their timeout or idle timeout.
    public func sweep() {
        let now = ContinuousClock().now
        let expired: [(Entry, String)] = open.withLock { entries in
            var out = [(Entry, String)]()
            for (key, entry) in entries where !entry.busy {
                if now > entry.deadline {
                    out.append((entry, "timeout by txn manager"))
                    entries[key] = nil
                } else if let idle = entry.idleTimeout, now - entry.lastActivity > idle {
                    out.append((entry, "transaction is aborted by idle timeout \(idle.components.seconds) seconds."))
                    entries[key] = nil
                }
            }
            return out
        }
        for (entry, reason) in expired {
            if let load = entry.load {
                _ = load.abort(reason)
            } else {
                transactions.abort(entry.transaction, reason: reason)
            }
        }
    }

    /// Open transactions (for `/api/transaction/list`).
    public var openTransactions:
        [(label: String, transactionID: Int64, database: String, inProcessing: Bool, counters: LoadCounters)]
    {
        open.withLock { entries in
            entries.values.map {
                (
                    $0.transaction.label, $0.transaction.id, $0.transaction.database, $0.busy,
                    $0.load?.counters ?? LoadCounters()
                )
            }
        }.sorted { $0.transactionID < $1.transactionID }
    }
}

extension TransactionAnswer {
    func fromFrontend() -> TransactionAnswer {
        var copy = self
        copy.producer = .frontend
        return copy
    }
}
