public import SluiceStorage
import Synchronization

/// The states a label's transaction goes through (StarRocks' names, which clients compare).
public enum TransactionState: String, Sendable, Hashable {
    case unknown = "UNKNOWN"
    case prepare = "PREPARE"
    case prepared = "PREPARED"
    case committed = "COMMITTED"
    case visible = "VISIBLE"
    case aborted = "ABORTED"

    /// `ExistingJobStatus` for a label clash with a transaction in this state.
    public var existingJobStatus: String {
        switch self {
        case .committed, .visible: "FINISHED"
        default: "RUNNING"
        }
    }
}

/// A running transaction: the identity a load carries until it commits or aborts.
public struct Transaction: Sendable, Hashable {
    public var id: Int64
    public var label: String
    public var databaseID: Int64
    public var database: String
    /// Microseconds since the epoch when it began.
    public var beginMicros: Int64
}

/// Owns labels: one running transaction per label and database, committed labels answered from
/// the storage journal, aborted labels free for reuse at once.
///
/// Today every transaction is single-phase (Stream Load, INSERT); the two-phase states (PREPARED,
/// durable aborts) arrive with the transaction interface.
public final class TransactionManager: Sendable {
    public let engine: StorageEngine
    /// Running transactions allowed per database (StarRocks `max_running_txn_num_per_db`).
    public let maxRunningPerDatabase: Int
    private let state = Mutex(State())
    private let clock: @Sendable () -> Int64

    struct State {
        var running: [Int64: [String: Transaction]] = [:]
    }

    public init(
        engine: StorageEngine, maxRunningPerDatabase: Int = 1000,
        clock: @escaping @Sendable () -> Int64 = { ContinuousClockEpoch.nowMicros() }
    ) {
        self.engine = engine
        self.maxRunningPerDatabase = maxRunningPerDatabase
        self.clock = clock
    }

    /// Transactions begun and not yet committed, prepared or aborted.
    public var runningCount: Int { state.withLock { $0.running.values.reduce(0) { $0 + $1.count } } }

    /// Whether `label` matches StarRocks' `^[-\w]{1,128}$`.
    public static func isValidLabel(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { c in
            (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122) || c == 95 || c == 45
        }
    }

    /// Begins a transaction under `label`.
    /// - Throws: `.labelAlreadyExists` (with the existing job status) if the label is running or
    ///   committed; `.unknownDatabase`; `.invalidLabel`; `.tooManyRunning`.
    public func begin(database: String, label: String) throws -> Transaction {
        guard Self.isValidLabel(label) else {
            throw TransactionError(.invalidLabel, "Label format error: '\(label)' must match ^[-\\w]{1,128}$")
        }
        let db: DatabaseMeta
        do {
            db = try engine.database(database)
        } catch {
            throw TransactionError(.unknownDatabase, "unknown database, database=\(database)")
        }
        return try state.withLock { s in
            let prepared = engine.metaState.preparedTransaction(databaseID: db.id, label: label) != nil
            if s.running[db.id]?[label] != nil || prepared
                || engine.committedLabel(database: database, label: label) != nil
            {
                let status =
                    s.running[db.id]?[label] != nil ? TransactionState.prepare : prepared ? .prepared : .visible
                throw TransactionError(
                    .labelAlreadyExists, "Label [\(label)] has already been used.",
                    existingJobStatus: status.existingJobStatus)
            }
            guard (s.running[db.id]?.count ?? 0) < maxRunningPerDatabase else {
                throw TransactionError(
                    .tooManyRunning,
                    "current running txns on db \(db.id) is \(maxRunningPerDatabase), larger than limit \(maxRunningPerDatabase)"
                )
            }
            let transaction = Transaction(
                id: engine.allocateID(), label: label, databaseID: db.id, database: db.name, beginMicros: clock())
            s.running[db.id, default: [:]][label] = transaction
            return transaction
        }
    }

    /// Commits the transaction's data: one journal record with the rows, the label and `attachment`.
    /// The transaction is finished afterwards whether the commit succeeded or threw.
    @discardableResult
    public func commit(
        _ transaction: Transaction, write: PreparedWrite, attachment: [UInt8]? = nil, source: SourceBatch? = nil
    ) throws -> CommitInfo {
        defer { finish(transaction) }
        return try engine.commit(
            write, label: transaction.label, attachment: attachment, source: source, transactionID: transaction.id)
    }

    /// Aborts: the label is free again at once; the abort is journaled so `get_load_state` and
    /// repeated commit/rollback answer ABORTED after a restart too.
    public func abort(_ transaction: Transaction, reason: String) {
        _ = state.withLock { s in s.running[transaction.databaseID]?.removeValue(forKey: transaction.label) }
        engine.recordAbort(
            databaseID: transaction.databaseID, transactionID: transaction.id, label: transaction.label, reason: reason)
    }

    // MARK: Two-phase commit

    /// Makes the transaction's data durable but invisible (PREPARED); it survives restarts until
    /// committed, rolled back or `timeoutSeconds` pass.
    public func prepare(
        _ transaction: Transaction, write: PreparedWrite, attachment: [UInt8]? = nil, source: SourceBatch? = nil,
        timeoutSeconds: Int64
    ) throws -> PreparedTransaction {
        defer { finish(transaction) }
        return try engine.prepare(
            write, label: transaction.label, transactionID: transaction.id, attachment: attachment, source: source,
            timeoutSeconds: timeoutSeconds)
    }

    /// The PREPARED transaction under `label`, if any.
    public func preparedTransaction(database: String, label: String) throws -> PreparedTransaction? {
        let db: DatabaseMeta
        do {
            db = try engine.database(database)
        } catch {
            throw TransactionError(.unknownDatabase, "unknown database, database=\(database)")
        }
        return engine.metaState.preparedTransaction(databaseID: db.id, label: label)
    }

    /// Commits a PREPARED transaction.
    @discardableResult
    public func commitPrepared(_ transaction: PreparedTransaction) throws -> CommitInfo {
        try engine.commitPrepared(transactionID: transaction.transactionID)
    }

    /// Rolls back a PREPARED transaction; its label is free again.
    public func abortPrepared(_ transaction: PreparedTransaction, reason: String) throws {
        try engine.abortPrepared(transactionID: transaction.transactionID, reason: reason)
    }

    /// Aborts PREPARED transactions whose timeout passed (`timeout by txn manager`).
    /// - Parameter nowSeconds: seconds since the epoch.
    public func abortExpiredPrepared(nowSeconds: Int64) {
        for transaction in engine.preparedTransactions
        where transaction.preparedTime + transaction.timeoutSeconds < nowSeconds {
            try? abortPrepared(transaction, reason: "timeout by txn manager")
        }
    }

    private func finish(_ transaction: Transaction) {
        _ = state.withLock { s in s.running[transaction.databaseID]?.removeValue(forKey: transaction.label) }
    }

    /// The state of a label (`get_load_state`).
    public func state(database: String, label: String) throws -> (
        state: TransactionState, transactionID: Int64?, reason: String?
    ) {
        let db: DatabaseMeta
        do {
            db = try engine.database(database)
        } catch {
            throw TransactionError(.unknownDatabase, "unknown database, database=\(database)")
        }
        if let committed = engine.committedLabel(database: database, label: label) {
            return (.visible, committed.transactionID, nil)
        }
        if let prepared = engine.metaState.preparedTransaction(databaseID: db.id, label: label) {
            return (.prepared, prepared.transactionID, nil)
        }
        if let running = state.withLock({ $0.running[db.id]?[label] }) { return (.prepare, running.id, nil) }
        if let aborted = engine.abortedTransaction(database: database, label: label) {
            return (.aborted, aborted.transactionID, aborted.reason)
        }
        return (.unknown, nil, nil)
    }
}
