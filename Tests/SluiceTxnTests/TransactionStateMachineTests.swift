import SluiceTxn
import Testing

/// Every (state, event) pair of the 2PC state machine, legal and illegal.
@Suite struct TransactionStateMachineTests {
    typealias Row = (TransactionState, TransactionStateMachine.Event, TransactionStateMachine.Action, TransactionState)

    static let table: [Row] = [
        (.prepare, .load, .acceptData, .prepare),
        (.prepare, .prepare, .writePrepared, .prepared),
        (.prepare, .commit, .commitOnePhase, .committed),
        (.prepare, .rollback, .abort, .aborted),
        (.prepare, .timeout, .abort, .aborted),
        (.prepare, .publish, .alreadyDone(message: ""), .prepare),
        (.prepared, .load, .refuse(message: "transaction with label L not exists"), .prepared),
        (.prepared, .prepare, .refuse(message: "transaction with label L not exists"), .prepared),
        (.prepared, .commit, .commitPrepared, .committed),
        (.prepared, .rollback, .abort, .aborted),
        (.prepared, .timeout, .abort, .aborted),
        (.prepared, .publish, .alreadyDone(message: ""), .prepared),
        (.committed, .load, .refuse(message: "transaction with label L not exists"), .committed),
        (.committed, .prepare, .refuse(message: "transaction with label L not exists"), .committed),
        (.committed, .commit, .alreadyDone(message: "Transaction 7 has already committed, label is L"), .committed),
        (.committed, .rollback, .refuse(message: "Can not abort COMMITTED transaction 7, label is L"), .committed),
        (.committed, .timeout, .alreadyDone(message: ""), .committed),
        (.committed, .publish, .publish, .visible),
        (.visible, .load, .refuse(message: "transaction with label L not exists"), .visible),
        (.visible, .prepare, .refuse(message: "transaction with label L not exists"), .visible),
        (.visible, .commit, .alreadyDone(message: "Transaction 7 has already committed, label is L"), .visible),
        (.visible, .rollback, .refuse(message: "Can not abort VISIBLE transaction 7, label is L"), .visible),
        (.visible, .timeout, .alreadyDone(message: ""), .visible),
        (.visible, .publish, .alreadyDone(message: ""), .visible),
        (.aborted, .load, .refuse(message: "transaction with label L not exists"), .aborted),
        (.aborted, .prepare, .refuse(message: "transaction with label L not exists"), .aborted),
        (.aborted, .commit, .refuse(message: "Can not commit ABORTED transaction 7, label is L"), .aborted),
        (.aborted, .rollback, .alreadyDone(message: "Transaction 7 has already aborted, label is L"), .aborted),
        (.aborted, .timeout, .alreadyDone(message: "Transaction 7 has already aborted, label is L"), .aborted),
        (.aborted, .publish, .alreadyDone(message: ""), .aborted),
    ]

    @Test(arguments: Self.table.indices)
    func transition(_ index: Int) {
        let (from, event, action, to) = Self.table[index]
        var machine = TransactionStateMachine(state: from)
        #expect(machine.handle(event, transactionID: 7, label: "L") == action, "\(from) + \(event)")
        #expect(machine.state == to, "\(from) + \(event)")
    }

    @Test func theTableCoversEveryPair() {
        let states: [TransactionState] = [.prepare, .prepared, .committed, .visible, .aborted]
        for state in states {
            for event in TransactionStateMachine.Event.allCases {
                #expect(Self.table.contains { $0.0 == state && $0.1 == event }, "\(state) + \(event) missing")
            }
        }
        var unknown = TransactionStateMachine(state: .unknown)
        #expect(
            unknown.handle(.commit, transactionID: 0, label: "L") == .refuse(message: "No transaction found by label L")
        )
    }
}
