package import SluiceStorage
import SluiceTxn
import Synchronization

/// The Stream Load transaction interface (spec §2), protocol-neutral: `begin`, any number of
/// `load`s, `prepare`, `commit`, `rollback`, answered with typed ``TransactionOutcome``s.
///
/// A thin use of ``TransactionManager``, which owns every transaction's state (open, claimed by a
/// request, timeouts, PREPARED, finished). This type only keeps each open transaction's data
/// side: its load session and the data headers its later loads must repeat.
package final class TransactionLoads: Sendable {
    package let service: LoadService
    private let slots = Mutex<[Key: Slot]>([:])

    struct Key: Hashable {
        var database: String
        var label: String
    }

    /// The data side of an open transaction. Mutated only by the request that claimed it.
    final class Slot: @unchecked Sendable {
        let transaction: Transaction
        var load: RunningLoad?
        var signature: String?

        init(_ transaction: Transaction) { self.transaction = transaction }
    }

    package init(service: LoadService) { self.service = service }

    var transactions: TransactionManager { service.transactions }

    private func slot(_ key: Key, of transaction: Transaction, remove: Bool = false) -> Slot? {
        slots.withLock { slots in
            guard let slot = slots[key], slot.transaction.id == transaction.id else { return nil }
            if remove { slots[key] = nil }
            return slot
        }
    }

    /// The outcome of a transaction-layer refusal.
    static func outcome(_ operation: TransactionOutcome.Operation, _ error: any Error, label: String)
        -> TransactionOutcome
    {
        if let storage = error as? StorageError, [.sourceRangeConflict, .sourceGap].contains(storage.code) {
            let code: TransactionOutcome.Code = storage.code == .sourceGap ? .sourceGap : .sourceRangeConflict
            return TransactionOutcome(operation, code, storage.message, label: label)
        }
        guard let error = error as? TransactionError else {
            return TransactionOutcome(operation, .rejected, "\(error)", label: label)
        }
        let code: TransactionOutcome.Code =
            switch error.code {
            case .labelAlreadyExists: .labelAlreadyExists
            case .inProcessing: .inProcessing
            case .notOpen: .notOpen
            case .notFound: .notFound
            case .refused: .refused
            default: .rejected
            }
        var outcome = TransactionOutcome(
            operation, code, error.message, label: label, transactionID: error.transactionID)
        outcome.existingJobStatus = error.existingJobStatus
        return outcome
    }

    // MARK: begin

    package func begin(database: String, table: String, label: String, timeoutSeconds: Int, idleTimeoutSeconds: Int?)
        -> TransactionOutcome
    {
        let clock = ContinuousClock()
        let start = clock.now
        let key = Key(database: database, label: label)
        if slots.withLock({ $0[key] != nil }) {
            var outcome = TransactionOutcome(.begin, .labelAlreadyExists, "", label: label)
            outcome.existingJobStatus = ""
            return outcome
        }
        do {
            _ = try service.engine.table(database: database, name: table)
        } catch {
            return TransactionOutcome(.begin, .rejected, "unknown table \"\(database).\(table)\"", label: label)
        }
        let transaction: Transaction
        do {
            transaction = try transactions.begin(
                database: database, label: label, table: table,
                timeouts: TransactionTimeouts(timeoutSeconds: timeoutSeconds, idleTimeoutSeconds: idleTimeoutSeconds),
                claimed: false)
        } catch {
            return Self.outcome(.begin, error, label: label)
        }
        slots.withLock { $0[key] = Slot(transaction) }
        var outcome = TransactionOutcome(.begin, .ok, "", label: label, transactionID: transaction.id)
        outcome.beginMilliseconds = LoadService.milliseconds(clock.now - start)
        return outcome
    }

    // MARK: load

    /// Claims the open transaction for one `load` request and returns its running load (opened
    /// with `options` on the first load). Call ``endLoad(_:failure:)`` afterwards.
    /// - Parameter signature: the request's data headers; later loads must repeat them exactly.
    package func startLoad(
        database: String, label: String, table: String?, signature: String, options: LoadOptions,
        configure: @escaping (inout LoadOptions, TableMeta) throws -> Void
    ) -> Result<LoadTicket, TransactionOutcome> {
        let transaction: Transaction
        do {
            transaction = try transactions.claim(database: database, label: label, for: .load)
        } catch {
            return .failure(Self.outcome(.load, error, label: label))
        }
        let key = Key(database: database, label: label)
        guard let slot = slot(key, of: transaction), let own = transaction.table else {
            transactions.release(transaction)
            return .failure(
                TransactionOutcome(.load, .notOpen, "transaction with label \(label) not exists", label: label))
        }
        if let table, table != own {
            transactions.release(transaction)
            return .failure(
                TransactionOutcome(
                    .load, .invalidArgument, "Request table \(table) not equal transaction table \(own)", label: label))
        }
        if let previous = slot.signature, previous != signature {
            transactions.release(transaction)
            return .failure(TransactionOutcome(.load, .loadFailed, "load request not equal last.", label: label))
        }
        if slot.load == nil {
            switch service.open(transaction, table: own, options: options, keepOpenWhenBusy: true, configure: configure)
            {
            case .failure(let failure) where failure.result.errorCode == .tooBusy:
                transactions.release(transaction)
                return .failure(
                    TransactionOutcome(
                        .load, .busy, failure.result.message, label: label, transactionID: transaction.id))
            case .failure(let failure):
                _ = self.slot(key, of: transaction, remove: true)
                let code: TransactionOutcome.Code =
                    failure.result.errorCode == .analysis ? .analysisError : .invalidArgument
                return .failure(
                    TransactionOutcome(.load, code, failure.result.message, label: label, transactionID: transaction.id)
                )
            case .success(let load):
                slot.load = load
                slot.signature = signature
            }
        }
        return .success(LoadTicket(slot: slot, startBytes: slot.load!.receivedBytes))
    }

    /// A claimed open transaction: feed ``load`` and hand the ticket back with ``endLoad(_:failure:)``.
    package struct LoadTicket: @unchecked Sendable {
        let slot: Slot
        let startBytes: Int
        package var load: RunningLoad { slot.load! }
        package var transactionID: Int64 { slot.transaction.id }
        package var label: String { slot.transaction.label }
    }

    /// Releases the transaction after a `load` request. A failure (broken body, bad data in a
    /// way that ends the transaction) aborts it.
    package func endLoad(_ ticket: LoadTicket, failure: String? = nil) -> TransactionOutcome {
        let transaction = ticket.slot.transaction
        var failure = failure
        if failure == nil, let load = ticket.slot.load {
            // Each request's body ends its last row (bodies are not one stream).
            do { try load.endBody() } catch { failure = "\(error)" }
        }
        if let failure {
            _ = slot(Key(database: transaction.database, label: transaction.label), of: transaction, remove: true)
            _ = ticket.slot.load?.abort(failure)
            return TransactionOutcome(
                .load, .loadFailed, failure, label: transaction.label, transactionID: transaction.id)
        }
        let bytes = (ticket.slot.load?.receivedBytes ?? 0) - ticket.startBytes
        transactions.release(transaction)
        var outcome = TransactionOutcome(.load, .ok, "", label: transaction.label, transactionID: transaction.id)
        outcome.requestBytes = bytes
        return outcome
    }

    // MARK: prepare, commit, rollback

    /// Prepares the open transaction; `attachment` (e.g. Kafka offsets) is stored with it and
    /// committed in the same journal record as its rows.
    package func prepare(
        database: String, label: String, timeoutSeconds: Int64, attachment: [UInt8]? = nil, source: SourceBatch? = nil
    ) -> TransactionOutcome {
        let transaction: Transaction
        do {
            transaction = try transactions.claim(database: database, label: label, for: .prepare)
        } catch {
            return Self.outcome(.prepare, error, label: label)
        }
        return finish(
            .prepare, transaction,
            completion: .prepare(timeoutSeconds: timeoutSeconds, attachment: attachment, source: source))
    }

    /// Commits: one-phase for an open transaction (with `attachment`), or a PREPARED one.
    package func commit(database: String, label: String, attachment: [UInt8]? = nil, source: SourceBatch? = nil)
        -> TransactionOutcome
    {
        do {
            let transaction = try transactions.claim(database: database, label: label, for: .commit)
            return finish(.commit, transaction, completion: .commit(attachment: attachment, source: source))
        } catch  where error.code == .notOpen || error.code == .notFound {
            return settle(.commit, database: database, label: label)
        } catch {
            return Self.outcome(.commit, error, label: label)
        }
    }

    package func rollback(database: String, label: String) -> TransactionOutcome {
        do {
            let transaction = try transactions.claim(database: database, label: label, for: .rollback)
            let slot = slot(Key(database: database, label: label), of: transaction, remove: true)
            if let load = slot?.load {
                _ = load.abort("User Aborted")
            } else {
                transactions.abort(transaction, reason: "User Aborted")
            }
            return TransactionOutcome(.rollback, .ok, "", label: label, transactionID: transaction.id)
        } catch  where error.code == .notOpen || error.code == .notFound {
            return settle(.rollback, database: database, label: label)
        } catch {
            return Self.outcome(.rollback, error, label: label)
        }
    }

    /// Ends the open phase of a claimed transaction (prepare or one-phase commit).
    private func finish(
        _ operation: TransactionOutcome.Operation, _ transaction: Transaction, completion: RunningLoad.Completion
    ) -> TransactionOutcome {
        let label = transaction.label
        let slot = slot(Key(database: transaction.database, label: label), of: transaction, remove: true)
        guard let load = slot?.load else {
            transactions.abort(transaction, reason: "no data")
            return TransactionOutcome(
                operation, .loadFailed, "transaction \(transaction.id) with label \(label) hasn't send any data yet",
                label: label, transactionID: transaction.id)
        }
        let result = load.finish(completion)
        var outcome = TransactionOutcome(operation, .ok, "", label: label, transactionID: transaction.id)
        outcome.result = result
        if result.status != .success {
            outcome.code =
                switch result.errorCode {
                case .sourceRangeConflict: .sourceRangeConflict
                case .sourceGap: .sourceGap
                default: .loadFailed
                }
            outcome.message = result.message
        }
        return outcome
    }

    /// Commit or rollback of a label without an open transaction: PREPARED, finished, or unknown
    /// (the FE's answers, spec §2.6).
    private func settle(_ operation: TransactionOutcome.Operation, database: String, label: String)
        -> TransactionOutcome
    {
        do {
            let (id, message) = try transactions.settle(
                operation == .commit ? .commit : .rollback, database: database, label: label)
            return TransactionOutcome(operation, .settled, message, label: label, transactionID: id)
        } catch {
            return Self.outcome(operation, error, label: label)
        }
    }

    // MARK: timeouts and listing

    /// Aborts open transactions past their timeout or idle timeout.
    package func sweep() {
        for (transaction, reason) in transactions.claimExpired() {
            let slot = slot(
                Key(database: transaction.database, label: transaction.label), of: transaction, remove: true)
            if let load = slot?.load {
                _ = load.abort(reason)
            } else {
                transactions.abort(transaction, reason: reason, event: .timeout)
            }
        }
    }

    /// The table transaction `label` of `database` loads into, while it is open or PREPARED; nil
    /// when there is no such transaction.
    package func table(database: String, label: String) -> String? {
        if let table = slots.withLock({ $0[Key(database: database, label: label)]?.transaction.table }) {
            return table
        }
        let meta = service.engine.metaState
        guard let db = meta.database(named: database),
            let prepared = meta.prepared.values.first(where: { $0.databaseID == db.id && $0.label == label })
        else { return nil }
        return db.tables[prepared.tableID]?.name
    }

    /// Open transactions (for `/api/transaction/list`).
    package var openTransactions:
        [(label: String, transactionID: Int64, database: String, inProcessing: Bool, counters: LoadCounters)]
    {
        let loads = slots.withLock { slots in
            Dictionary(slots.values.map { ($0.transaction.id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        return transactions.openTransactions.map { open in
            let t = open.transaction
            return (t.label, t.id, t.database, open.inProcessing, loads[t.id]?.load?.counters ?? LoadCounters())
        }
    }
}
