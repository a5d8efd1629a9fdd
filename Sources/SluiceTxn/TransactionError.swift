/// Failures of the transaction layer: label clashes, unknown transactions, illegal transitions.
/// Callers decide on ``code``, never on ``message`` (which is what clients read).
package struct TransactionError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case labelAlreadyExists, invalidLabel, unknownDatabase, notFound, notOpen, inProcessing, refused
            case tooManyRunning
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// The label is in use; ``TransactionError/existingJobStatus`` says by what.
        package static let labelAlreadyExists = Code(.labelAlreadyExists)
        package static let invalidLabel = Code(.invalidLabel)
        package static let unknownDatabase = Code(.unknownDatabase)
        /// No transaction was ever known under the label (or it was forgotten).
        package static let notFound = Code(.notFound)
        /// The label's transaction exists but is not open (PREPARED, finished or aborted).
        package static let notOpen = Code(.notOpen)
        /// Another request is working on the transaction right now.
        package static let inProcessing = Code(.inProcessing)
        /// The state machine refused the event in the transaction's state.
        package static let refused = Code(.refused)
        /// More running transactions in a database than allowed (`max_running_txn_num_per_db`).
        package static let tooManyRunning = Code(.tooManyRunning)
        package var description: String { base.rawValue }

        /// Whether trying the same request again later can succeed.
        package var isRetriable: Bool { self == .inProcessing || self == .tooManyRunning }
    }

    package var code: Code
    package var message: String
    /// For `.labelAlreadyExists`: `RUNNING` or `FINISHED` (StarRocks' ExistingJobStatus).
    package var existingJobStatus: String?
    /// The transaction the error is about, when one exists.
    package var transactionID: Int64?

    package init(_ code: Code, _ message: String, existingJobStatus: String? = nil, transactionID: Int64? = nil) {
        self.code = code
        self.message = message
        self.existingJobStatus = existingJobStatus
        self.transactionID = transactionID
    }

    package var isRetriable: Bool { code.isRetriable }
    package var description: String { message }
}
