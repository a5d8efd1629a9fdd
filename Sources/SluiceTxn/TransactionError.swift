/// Failures of the transaction layer: label clashes, unknown transactions, illegal transitions.
/// Callers decide on ``code``, never on ``message`` (which is what clients read).
public struct TransactionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case labelAlreadyExists, invalidLabel, unknownDatabase, notFound, notOpen, inProcessing, refused
            case tooManyRunning
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// The label is in use; ``TransactionError/existingJobStatus`` says by what.
        public static let labelAlreadyExists = Code(.labelAlreadyExists)
        public static let invalidLabel = Code(.invalidLabel)
        public static let unknownDatabase = Code(.unknownDatabase)
        /// No transaction was ever known under the label (or it was forgotten).
        public static let notFound = Code(.notFound)
        /// The label's transaction exists but is not open (PREPARED, finished or aborted).
        public static let notOpen = Code(.notOpen)
        /// Another request is working on the transaction right now.
        public static let inProcessing = Code(.inProcessing)
        /// The state machine refused the event in the transaction's state.
        public static let refused = Code(.refused)
        /// More running transactions in a database than allowed (`max_running_txn_num_per_db`).
        public static let tooManyRunning = Code(.tooManyRunning)
        public var description: String { base.rawValue }

        /// Whether trying the same request again later can succeed.
        public var isRetriable: Bool { self == .inProcessing || self == .tooManyRunning }
    }

    public var code: Code
    public var message: String
    /// For `.labelAlreadyExists`: `RUNNING` or `FINISHED` (StarRocks' ExistingJobStatus).
    public var existingJobStatus: String?
    /// The transaction the error is about, when one exists.
    public var transactionID: Int64?

    public init(_ code: Code, _ message: String, existingJobStatus: String? = nil, transactionID: Int64? = nil) {
        self.code = code
        self.message = message
        self.existingJobStatus = existingJobStatus
        self.transactionID = transactionID
    }

    public var isRetriable: Bool { code.isRetriable }
    public var description: String { message }
}
