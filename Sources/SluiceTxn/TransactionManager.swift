package import SluiceStorage
import Synchronization

/// The states a label's transaction goes through (StarRocks' names, which clients compare).
package enum TransactionState: String, Sendable, Hashable {
    case unknown = "UNKNOWN"
    case prepare = "PREPARE"
    case prepared = "PREPARED"
    case committed = "COMMITTED"
    case visible = "VISIBLE"
    case aborted = "ABORTED"

    /// `ExistingJobStatus` for a label clash with a transaction in this state.
    package var existingJobStatus: String {
        switch self {
        case .committed, .visible: "FINISHED"
        default: "RUNNING"
        }
    }
}

/// A running transaction: the identity a load carries until it commits or aborts.
package struct Transaction: Sendable, Hashable {
    package var id: Int64
    package var label: String
    package var databaseID: Int64
    package var database: String
    /// The table named at begin (the transaction interface); nil for loads that name it later.
    package var table: String?
    /// Microseconds since the epoch when it began.
    package var beginMicros: Int64
}

/// How long an open transaction may live (the transaction interface's `timeout` and
/// `idle_transaction_timeout`).
package struct TransactionTimeouts: Sendable, Hashable {
    package var timeoutSeconds: Int?
    package var idleTimeoutSeconds: Int?

    package init(timeoutSeconds: Int? = nil, idleTimeoutSeconds: Int? = nil) {
        self.timeoutSeconds = timeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}

/// The one owner of transactions, from begin to VISIBLE or ABORTED, every load path included
/// (Stream Load, the transaction interface, Routine Load, INSERT).
///
/// Each open transaction is a record driven by a ``TransactionStateMachine``: an event is applied
/// to a copy of the machine, the engine effect it asks for runs, and only then is the new state
/// stored — so a failed effect leaves the transaction where it was (and abortable). Open
/// (PREPARE) transactions live here in memory; their durable successors (PREPARED, VISIBLE,
/// ABORTED) live in the storage journal, which this type alone writes them to and reads them from.
///
/// A record is *claimed* by the one request working on it; a second request meets
/// `.inProcessing`. Single-request loads (Stream Load, INSERT, Routine Load) begin claimed.
package final class TransactionManager: Sendable {
    package let engine: StorageEngine
    /// Running transactions allowed per database (StarRocks `max_running_txn_num_per_db`).
    package let maxRunningPerDatabase: Int
    let records = Mutex(Records())
    /// Microseconds since the epoch (injected: tests drive timeouts with a manual clock).
    let clock: @Sendable () -> Int64

    struct Record {
        var transaction: Transaction
        var machine = TransactionStateMachine(state: .prepare)
        var claimed: Bool
        var deadlineMicros: Int64?
        var idleTimeoutMicros: Int64?
        var lastActivityMicros: Int64
    }

    struct Records {
        var byDatabase: [Int64: [String: Record]] = [:]

        subscript(_ t: Transaction) -> Record? {
            get { byDatabase[t.databaseID]?[t.label].flatMap { $0.transaction.id == t.id ? $0 : nil } }
            set {
                guard byDatabase[t.databaseID]?[t.label]?.transaction.id == t.id else { return }
                byDatabase[t.databaseID]![t.label] = newValue
            }
        }
    }

    package init(
        engine: StorageEngine, maxRunningPerDatabase: Int = 1000,
        clock: @escaping @Sendable () -> Int64 = { ContinuousClockEpoch.nowMicros() }
    ) {
        self.engine = engine
        self.maxRunningPerDatabase = maxRunningPerDatabase
        self.clock = clock
    }

    /// Transactions begun and not yet committed, prepared or aborted.
    package var runningCount: Int { records.withLock { $0.byDatabase.values.reduce(0) { $0 + $1.count } } }

    /// Whether `label` matches StarRocks' `^[-\w]{1,128}$`.
    package static func isValidLabel(_ label: String) -> Bool {
        let bytes = Array(label.utf8)
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { c in
            (c >= 48 && c <= 57) || (c | 0x20 >= 97 && c | 0x20 <= 122) || c == 95 || c == 45
        }
    }

    func databaseMeta(_ database: String) throws(TransactionError) -> DatabaseMeta {
        do {
            return try engine.database(database)
        } catch {
            throw TransactionError(.unknownDatabase, "unknown database, database=\(database)")
        }
    }

    /// Begins a transaction under `label`, in state PREPARE.
    /// - Parameters:
    ///   - table: the table, when the caller names it at begin (the transaction interface).
    ///   - claimed: whether the caller keeps working on it (a single-request load); otherwise
    ///     each later request claims it with ``claim(database:label:for:)``.
    /// - Throws: `.labelAlreadyExists` (with the existing job status) if the label is running,
    ///   PREPARED or committed; `.unknownDatabase`; `.invalidLabel`; `.tooManyRunning`.
    package func begin(
        database: String, label: String, table: String? = nil, timeouts: TransactionTimeouts = .init(),
        claimed: Bool = true
    ) throws(TransactionError) -> Transaction {
        guard Self.isValidLabel(label) else {
            throw TransactionError(.invalidLabel, "Label format error: '\(label)' must match ^[-\\w]{1,128}$")
        }
        let db = try databaseMeta(database)
        let now = clock()
        return try records.withLock { (r) throws(TransactionError) -> Transaction in
            let running = r.byDatabase[db.id]?[label] != nil
            let prepared = !running && engine.metaState.preparedTransaction(databaseID: db.id, label: label) != nil
            if running || prepared || engine.committedLabel(database: database, label: label) != nil {
                let status: TransactionState = running ? .prepare : prepared ? .prepared : .visible
                throw TransactionError(
                    .labelAlreadyExists, "Label [\(label)] has already been used.",
                    existingJobStatus: status.existingJobStatus)
            }
            guard (r.byDatabase[db.id]?.count ?? 0) < maxRunningPerDatabase else {
                throw TransactionError(
                    .tooManyRunning,
                    "current running txns on db \(db.id) is \(maxRunningPerDatabase), larger than limit \(maxRunningPerDatabase)"
                )
            }
            let transaction = Transaction(
                id: engine.allocateID(), label: label, databaseID: db.id, database: db.name, table: table,
                beginMicros: now)
            r.byDatabase[db.id, default: [:]][label] = Record(
                transaction: transaction, claimed: claimed,
                deadlineMicros: timeouts.timeoutSeconds.map { now + Int64($0) * 1_000_000 },
                idleTimeoutMicros: timeouts.idleTimeoutSeconds.map { Int64($0) * 1_000_000 },
                lastActivityMicros: now)
            return transaction
        }
    }

    /// Claims the open transaction of `label` for one request that will send it `event`.
    /// - Throws: `.inProcessing` if another request holds it; `.notOpen` if the label's
    ///   transaction is PREPARED, finished or aborted; `.notFound` if no transaction is known;
    ///   `.refused` if the state machine refuses `event`.
    package func claim(database: String, label: String, for event: TransactionStateMachine.Event)
        throws(TransactionError) -> Transaction
    {
        let db = try databaseMeta(database)
        let claimed = records.withLock { (r) -> Result<Transaction, TransactionError>? in
            guard var record = r.byDatabase[db.id]?[label] else { return nil }
            if record.claimed {
                return .failure(
                    TransactionError(
                        .inProcessing, "Transaction with label \(label) is in processing",
                        transactionID: record.transaction.id))
            }
            var machine = record.machine
            if case .refuse(let message) = machine.handle(event, transactionID: record.transaction.id, label: label) {
                return .failure(TransactionError(.refused, message, transactionID: record.transaction.id))
            }
            record.claimed = true
            r.byDatabase[db.id]![label] = record
            return .success(record.transaction)
        }
        if let claimed { return try claimed.get() }
        throw notOpen(database: database, label: label)
    }

    /// Hands a claimed open transaction back after a request (its idle timer restarts).
    package func release(_ transaction: Transaction) {
        let now = clock()
        records.withLock { r in
            r[transaction]?.claimed = false
            r[transaction]?.lastActivityMicros = now
        }
    }

    /// The error for a label without an open transaction where one is needed.
    func notOpen(database: String, label: String) -> TransactionError {
        let known = ((try? state(database: database, label: label))?.state ?? .unknown) != .unknown
        return known
            ? TransactionError(.notOpen, "transaction with label \(label) not exists")
            : TransactionError(
                .notFound,
                "Can't find the transaction with db [\(database)] and label[\(label)]. The possible reasons: 1. FE leader is started or switched; 2. The transaction timeouts and is cleaned."
            )
    }

    /// Claims the unclaimed open transactions past their timeout or idle timeout, with the
    /// reason to abort them for; the caller aborts each (``abort(_:reason:event:)`` with `.timeout`).
    package func claimExpired() -> [(transaction: Transaction, reason: String)] {
        let now = clock()
        return records.withLock { r in
            var out = [(Transaction, String)]()
            for (databaseID, labels) in r.byDatabase {
                for (label, record) in labels where !record.claimed {
                    if let deadline = record.deadlineMicros, now > deadline {
                        out.append((record.transaction, "timeout by txn manager"))
                    } else if let idle = record.idleTimeoutMicros, now - record.lastActivityMicros > idle {
                        out.append(
                            (
                                record.transaction,
                                "transaction is aborted by idle timeout \(idle / 1_000_000) seconds."
                            ))
                    } else {
                        continue
                    }
                    r.byDatabase[databaseID]![label]!.claimed = true
                }
            }
            return out
        }
    }

    /// Open transactions begun with a table (the transaction interface), oldest first, and
    /// whether a request is working on each.
    package var openTransactions: [(transaction: Transaction, inProcessing: Bool)] {
        records.withLock { r in
            r.byDatabase.values.flatMap { $0.values }.filter { $0.transaction.table != nil }.map {
                ($0.transaction, $0.claimed)
            }
        }.sorted { $0.transaction.id < $1.transaction.id }
    }

    /// The state of a label (`get_load_state`), its transaction and the abort reason.
    package func state(database: String, label: String) throws(TransactionError) -> (
        state: TransactionState, transactionID: Int64?, reason: String?
    ) {
        let db = try databaseMeta(database)
        if let committed = engine.committedLabel(database: database, label: label) {
            return (.visible, committed.transactionID, nil)
        }
        if let prepared = engine.metaState.preparedTransaction(databaseID: db.id, label: label) {
            return (.prepared, prepared.transactionID, nil)
        }
        if let running = records.withLock({ $0.byDatabase[db.id]?[label] }) {
            return (running.machine.state, running.transaction.id, nil)
        }
        if let aborted = engine.abortedTransaction(database: database, label: label) {
            return (.aborted, aborted.transactionID, aborted.reason)
        }
        return (.unknown, nil, nil)
    }

    /// The PREPARED transaction under `label`, if any.
    package func preparedTransaction(database: String, label: String) throws(TransactionError) -> PreparedTransaction? {
        let db = try databaseMeta(database)
        return engine.metaState.preparedTransaction(databaseID: db.id, label: label)
    }
}
