/// The outcome of one transaction-interface call (spec §2), protocol-neutral: a typed ``Code``
/// that each protocol maps to its own words (SluiceHTTP to StarRocks' statuses and JSON shapes).
package struct TransactionOutcome: Error, Sendable {
    package enum Operation: String, Sendable {
        case begin, load, prepare, commit, rollback
    }

    package enum Code: Sendable, Hashable {
        /// The operation ran on the open transaction.
        case ok
        /// Answered from the transaction's durable state: a PREPARED transaction was committed or
        /// rolled back, or the request repeats one that already happened.
        case settled
        /// The label is in use (``TransactionOutcome/existingJobStatus`` says by what).
        case labelAlreadyExists
        /// Another request is working on the transaction.
        case inProcessing
        /// The label's transaction is not open (PREPARED, finished or aborted).
        case notOpen
        /// No transaction is known under the label.
        case notFound
        /// The transaction's state does not allow the request (e.g. commit after rollback).
        case refused
        /// The request was refused before any transaction was touched (unknown table or
        /// database, a bad label, too many running, a missing parameter).
        case rejected
        /// A request parameter is invalid.
        case invalidArgument
        /// The load's mapping does not analyze (unknown column, bad expression).
        case analysisError
        /// The load failed; the transaction was aborted.
        case loadFailed
        /// The server's load limits refused the request; the transaction stays open and the same
        /// request can be sent again.
        case busy
        /// The fence refused a remote daemon's source batch: its offsets overlap committed ones
        /// (``sourceRangeConflict``) or do not start at the stored next offset (``sourceGap``);
        /// the transaction was aborted and the message names the stored positions.
        case sourceRangeConflict, sourceGap

        /// Whether the same request can succeed later.
        package var isRetriable: Bool { self == .inProcessing || self == .busy }
    }

    package var operation: Operation
    package var code: Code
    package var message: String
    package var label: String?
    package var transactionID: Int64?
    /// Only for `.labelAlreadyExists`: `RUNNING`, `FINISHED`, or empty for an open transaction.
    package var existingJobStatus: String?
    /// Counters and timings of the whole transaction (prepare, one-phase commit).
    package var result: LoadResult?
    /// Bytes of this one `load` request.
    package var requestBytes: Int = 0
    package var beginMilliseconds = 0
    package var planMilliseconds = 0
    package var receiveMilliseconds = 0

    package init(
        _ operation: Operation, _ code: Code, _ message: String, label: String? = nil, transactionID: Int64? = nil
    ) {
        self.operation = operation
        self.code = code
        self.message = message
        self.label = label
        self.transactionID = transactionID
    }
}
