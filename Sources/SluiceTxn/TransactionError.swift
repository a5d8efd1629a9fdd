/// Failures of the transaction layer: label clashes, unknown transactions, illegal transitions.
public struct TransactionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case labelAlreadyExists, invalidLabel, unknownDatabase, notFound, tooManyRunning }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// The label is in use; ``TransactionError/existingJobStatus`` says by what.
        public static let labelAlreadyExists = Code(.labelAlreadyExists)
        public static let invalidLabel = Code(.invalidLabel)
        public static let unknownDatabase = Code(.unknownDatabase)
        public static let notFound = Code(.notFound)
        /// More running transactions in a database than allowed (`max_running_txn_num_per_db`).
        public static let tooManyRunning = Code(.tooManyRunning)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// For `.labelAlreadyExists`: `RUNNING` or `FINISHED` (StarRocks' ExistingJobStatus).
    public var existingJobStatus: String?

    public init(_ code: Code, _ message: String, existingJobStatus: String? = nil) {
        self.code = code
        self.message = message
        self.existingJobStatus = existingJobStatus
    }

    public var description: String { message }
}
