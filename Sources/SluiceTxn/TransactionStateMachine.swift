/// The life of one transaction as a value: events in, the next state (or a refusal) out.
///
/// ```
/// (none) ─begin─► PREPARE ─prepare─► PREPARED ─commit─► COMMITTED ─publish─► VISIBLE
///                    │  └──────── commit (one-phase) ───────►┘
///                    └─ rollback / timeout / failure ─► ABORTED ◄─ rollback / timeout ─ PREPARED
/// ```
/// Idempotent repeats (commit of a committed transaction, rollback of an aborted one) are
/// answered as StarRocks' FE answers them (spec §2.6); illegal events are refused with the
/// message clients see.
package struct TransactionStateMachine: Sendable, Hashable {
    package private(set) var state: TransactionState

    package enum Event: String, Sendable, CaseIterable {
        case load, prepare, commit, rollback, timeout, publish
    }

    /// What the shell must do for an event.
    package enum Action: Sendable, Equatable {
        /// Accept more data into the open transaction.
        case acceptData
        /// Finish the data and write a durable PREPARED record.
        case writePrepared
        /// Finish the data and commit in one step (commit without prepare).
        case commitOnePhase
        /// Write the commit record of a PREPARED transaction.
        case commitPrepared
        /// Make the committed version visible.
        case publish
        /// Abort: discard data, free the label.
        case abort
        /// Nothing to do; answer success with this message (idempotent repeat).
        case alreadyDone(message: String)
        /// Refuse with this message; the state does not change.
        case refuse(message: String)
    }

    package init(state: TransactionState = .prepare) { self.state = state }

    /// Applies `event`; returns what to do. The state moves only on accepted transitions.
    package mutating func handle(_ event: Event, transactionID: Int64, label: String) -> Action {
        switch (state, event) {
        case (.prepare, .load): return .acceptData
        case (.prepare, .prepare):
            state = .prepared
            return .writePrepared
        case (.prepare, .commit):
            state = .committed
            return .commitOnePhase
        case (.prepare, .rollback), (.prepare, .timeout), (.prepared, .rollback), (.prepared, .timeout):
            state = .aborted
            return .abort
        case (.prepared, .commit):
            state = .committed
            return .commitPrepared
        case (.committed, .publish):
            state = .visible
            return .publish
        case (.committed, .commit), (.visible, .commit):
            return .alreadyDone(message: "Transaction \(transactionID) has already committed, label is \(label)")
        case (.aborted, .rollback), (.aborted, .timeout):
            return .alreadyDone(message: "Transaction \(transactionID) has already aborted, label is \(label)")
        case (.committed, .rollback), (.visible, .rollback):
            return .refuse(message: "Can not abort \(state.rawValue) transaction \(transactionID), label is \(label)")
        case (.aborted, .commit):
            return .refuse(message: "Can not commit ABORTED transaction \(transactionID), label is \(label)")
        case (.prepared, .load), (.prepared, .prepare), (.committed, .load), (.committed, .prepare), (.visible, .load),
            (.visible, .prepare), (.aborted, .load), (.aborted, .prepare):
            return .refuse(message: "transaction with label \(label) not exists")
        case (.committed, .timeout), (.visible, .timeout), (.visible, .publish), (.aborted, .publish),
            (.prepare, .publish),
            (.prepared, .publish):
            return .alreadyDone(message: "")
        case (.unknown, _):
            return .refuse(message: "No transaction found by label \(label)")
        }
    }
}
