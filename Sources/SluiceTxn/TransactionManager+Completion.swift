package import SluiceStorage
import Synchronization

/// Ending transactions: one-phase commit, prepare, commit or roll back a PREPARED transaction by
/// its handle, abort, and settle a label that has no open transaction. Each applies the event to
/// the state machine first; the engine effect runs only for an accepted transition.
extension TransactionManager {
    /// The machine of `transaction`'s open record after `event`, with the action it asks for.
    /// - Throws: `.notOpen` when the transaction is no longer open; `.refused` when the machine
    ///   refuses the event.
    private func advance(_ transaction: Transaction, _ event: TransactionStateMachine.Event) throws(TransactionError)
        -> (TransactionStateMachine.Action, TransactionStateMachine)
    {
        guard var machine = records.withLock({ $0[transaction]?.machine }) else {
            throw TransactionError(
                .notOpen, "transaction with label \(transaction.label) not exists", transactionID: transaction.id)
        }
        let action = machine.handle(event, transactionID: transaction.id, label: transaction.label)
        if case .refuse(let message) = action {
            throw TransactionError(.refused, message, transactionID: transaction.id)
        }
        return (action, machine)
    }

    /// Drops the open record once its durable successor (VISIBLE, PREPARED, ABORTED) is journaled.
    private func close(_ transaction: Transaction) {
        records.withLock { r in
            if r[transaction] != nil { r.byDatabase[transaction.databaseID]![transaction.label] = nil }
        }
    }

    /// Commits the open transaction in one step: one journal record with the rows, the label,
    /// `attachment` and the source offsets; the version is visible when this returns.
    /// - Throws: the engine's error, the transaction then still open (abort it); `.refused`.
    @discardableResult
    package func commit(
        _ transaction: Transaction, write: PreparedWrite, attachment: [UInt8]? = nil, source: SourceBatch? = nil
    ) throws -> CommitInfo {
        var (action, machine) = try advance(transaction, .commit)
        guard case .commitOnePhase = action else {
            throw TransactionError(.refused, "transaction \(transaction.id) is not open", transactionID: transaction.id)
        }
        let info = try engine.commit(
            write, label: transaction.label, attachment: attachment, source: source, transactionID: transaction.id)
        _ = machine.handle(.publish, transactionID: transaction.id, label: transaction.label)
        close(transaction)
        return info
    }

    /// Commits the open transaction's writes into several tables (or several into one) in one
    /// step: one journal record, all visible when this returns, or none.
    /// - Throws: as ``commit(_:write:attachment:source:)``.
    @discardableResult
    package func commit(_ transaction: Transaction, writes: [PreparedWrite], attachment: [UInt8]? = nil) throws
        -> CommitInfo
    {
        var (action, machine) = try advance(transaction, .commit)
        guard case .commitOnePhase = action else {
            throw TransactionError(.refused, "transaction \(transaction.id) is not open", transactionID: transaction.id)
        }
        let info = try engine.commit(
            writes, label: transaction.label, attachment: attachment, transactionID: transaction.id)
        _ = machine.handle(.publish, transactionID: transaction.id, label: transaction.label)
        close(transaction)
        return info
    }

    /// Makes the open transaction's data durable but invisible (PREPARED); it survives restarts
    /// until committed or rolled back by the returned handle, or `timeoutSeconds` pass.
    package func prepare(
        _ transaction: Transaction, write: PreparedWrite, attachment: [UInt8]? = nil, source: SourceBatch? = nil,
        timeoutSeconds: Int64
    ) throws -> PreparedTransaction {
        let (action, _) = try advance(transaction, .prepare)
        guard case .writePrepared = action else {
            throw TransactionError(.refused, "transaction \(transaction.id) is not open", transactionID: transaction.id)
        }
        let prepared = try engine.prepare(
            write, label: transaction.label, transactionID: transaction.id, attachment: attachment, source: source,
            timeoutSeconds: timeoutSeconds)
        close(transaction)
        return prepared
    }

    /// Aborts an open transaction (`event` is `.rollback` or `.timeout`): the label is free again at
    /// once; the abort is journaled so `get_load_state` and a repeated commit or rollback answer
    /// ABORTED after a restart too. Nothing happens for a transaction that is no longer open.
    package func abort(_ transaction: Transaction, reason: String, event: TransactionStateMachine.Event = .rollback) {
        guard let (action, _) = try? advance(transaction, event), case .abort = action else { return }
        close(transaction)
        engine.recordAbort(
            databaseID: transaction.databaseID, transactionID: transaction.id, label: transaction.label, reason: reason)
    }

    /// Commits a PREPARED transaction by its handle.
    @discardableResult
    package func commitPrepared(_ transaction: PreparedTransaction) throws -> CommitInfo {
        var machine = TransactionStateMachine(state: .prepared)
        guard case .commitPrepared = machine.handle(.commit, transactionID: transaction.transactionID, label: "") else {
            preconditionFailure("PREPARED accepts commit")
        }
        return try engine.commitPrepared(transactionID: transaction.transactionID)
    }

    /// Rolls back a PREPARED transaction by its handle; its label is free again.
    package func abortPrepared(_ transaction: PreparedTransaction, reason: String) throws {
        var machine = TransactionStateMachine(state: .prepared)
        guard case .abort = machine.handle(.rollback, transactionID: transaction.transactionID, label: "") else {
            preconditionFailure("PREPARED accepts rollback")
        }
        try engine.abortPrepared(transactionID: transaction.transactionID, reason: reason)
    }

    /// Aborts PREPARED transactions whose timeout passed (`timeout by txn manager`).
    /// - Parameter nowSeconds: seconds since the epoch.
    package func abortExpiredPrepared(nowSeconds: Int64) {
        for transaction in engine.preparedTransactions
        where transaction.preparedTime + transaction.timeoutSeconds < nowSeconds {
            try? abortPrepared(transaction, reason: "timeout by txn manager")
        }
    }

    /// Commit or rollback (`event`) of a label without an open transaction: a PREPARED one is
    /// committed or rolled back; a finished one answers as StarRocks' FE does (idempotent repeats
    /// succeed with a message, contradictions are refused).
    /// - Returns: the transaction and the message of a successful answer.
    /// - Throws: `.notFound` for an unknown label, `.refused`, or the engine's error.
    package func settle(_ event: TransactionStateMachine.Event, database: String, label: String) throws -> (
        transactionID: Int64, message: String
    ) {
        if let prepared = try preparedTransaction(database: database, label: label) {
            if event == .commit {
                try commitPrepared(prepared)
            } else {
                try abortPrepared(prepared, reason: "User Aborted")
            }
            return (prepared.transactionID, "")
        }
        let (state, id, _) = try state(database: database, label: label)
        guard state != .unknown, let id else {
            throw TransactionError(.notFound, "No transaction found by label \(label)")
        }
        if state == .prepare {
            throw TransactionError(.inProcessing, "Transaction with label \(label) is in processing")
        }
        var machine = TransactionStateMachine(state: state)
        switch machine.handle(event, transactionID: id, label: label) {
        case .alreadyDone(let message): return (id, message)
        case .refuse(let message): throw TransactionError(.refused, message, transactionID: id)
        default: throw TransactionError(.refused, "unexpected state \(state.rawValue)", transactionID: id)
        }
    }
}
