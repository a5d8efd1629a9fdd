/// The answer to one transaction-interface call (spec §2.4), protocol-neutral. `Status` strings
/// are the exact words clients compare.
public struct TransactionAnswer: Error, Sendable {
    public enum Status: String, Sendable {
        case ok = "OK"
        case labelAlreadyExists = "LABEL_ALREADY_EXISTS"
        case transactionNotExists = "TXN_NOT_EXISTS"
        case inProcessing = "TXN_IN_PROCESSING"
        case invalidArgument = "INVALID_ARGUMENT"
        case internalError = "INTERNAL_ERROR"
        case analysisError = "ANALYSIS_ERROR"
        case failed = "FAILED"
    }

    /// Which StarRocks role produced this answer in StarRocks (decides the JSON shape).
    public enum Producer: Sendable {
        /// The BE's `to_resp_json`: 4-space indent, fixed key order.
        case backend
        /// The FE's `TransactionResult`: `Label`, `Status`, `TxnId`, `Message`.
        case frontend
    }

    public enum Operation: String, Sendable {
        case begin, load, prepare, commit, rollback
    }

    public var operation: Operation
    public var status: Status
    public var message: String
    public var producer: Producer = .backend
    public var label: String?
    public var transactionID: Int64?
    /// Only for `LABEL_ALREADY_EXISTS`.
    public var existingJobStatus: String?
    /// Counters and timings of the whole transaction (prepare, one-phase commit).
    public var result: LoadResult?
    /// Bytes of this one `load` request.
    public var requestBytes: Int = 0
    public var beginMilliseconds = 0
    public var planMilliseconds = 0
    public var receiveMilliseconds = 0

    public init(
        _ operation: Operation, _ status: Status, _ message: String, label: String? = nil, transactionID: Int64? = nil
    ) {
        self.operation = operation
        self.status = status
        self.message = message
        self.label = label
        self.transactionID = transactionID
    }
}
