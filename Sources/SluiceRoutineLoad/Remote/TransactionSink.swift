package import SluiceLoad
package import SluiceStorage

/// Where a daemon in remote-sink mode writes its batches: the Stream Load transaction interface
/// of another Sluice node (tier 1, with fenced source commits) or of a StarRocks/Doris cluster
/// (tiers 2/3, only the documented interface). Protocol-neutral: the HTTP client lives in
/// `SluiceSink`; tests may fake it.
///
/// Blocking: called from the job's own thread. Implementations retry transport failures and
/// 5xx answers with capped backoff under the same label; what they return is the sink's word.
package protocol TransactionSink: Sendable {
    /// Whether the sink speaks Sluice's fenced source commits (`"api": "sluice"`).
    var fencesSourceBatches: Bool { get }
    func begin(database: String, table: String, label: String, timeoutSeconds: Int) throws(SinkError) -> SinkAnswer
    /// Sends one body under `headers` (the job's Stream Load settings).
    func load(database: String, table: String, label: String, headers: [(String, String)], body: [UInt8])
        throws(SinkError) -> SinkAnswer
    /// Prepares with the batch's offsets (a `source_batch` when the sink fences them).
    func prepare(database: String, label: String, preparedTimeoutSeconds: Int, source: RemoteSourceBatch?)
        throws(SinkError) -> SinkAnswer
    func commit(database: String, label: String) throws(SinkError) -> SinkAnswer
    func rollback(database: String, label: String) throws(SinkError) -> SinkAnswer
    /// The job's stored progress (tier 1).
    func progress(database: String, job: String) throws(SinkError) -> SinkProgress
    /// Transactions whose label starts with `prefix`: committed, PREPARED and open (tier 1).
    func transactions(database: String, labelPrefix: String) throws(SinkError) -> [SinkTransaction]
    /// One SELECT through the sink's SQL API (StarRocks' `/api/v1/catalogs/…/sql`, v3.2+): the
    /// rows, each value as text (nil for NULL). How a standard-API daemon reads progress.
    func query(database: String, sql: String) throws(SinkError) -> [[String?]]
    /// The same sink, its retries and requests cut off at `deadline` (a revoke's commit
    /// deadline bounds the whole write, not only the pauses between attempts).
    func bounded(by deadline: ContinuousClock.Instant) -> any TransactionSink
}

extension TransactionSink {
    package func bounded(by deadline: ContinuousClock.Instant) -> any TransactionSink { self }
}

/// The sink's answer to one call, in words the runtime decides on.
package struct SinkAnswer: Sendable, Hashable {
    package enum Status: Sendable, Hashable {
        case ok
        /// The label is taken; `existingJobStatus` says by what (`RUNNING`, `FINISHED`, "").
        case labelAlreadyExists(existingJobStatus: String)
        /// The label's transaction is not open (PREPARED, finished or aborted).
        case transactionNotExists
        /// Another request works on the transaction: the same request may succeed later.
        case inProcessing
        /// The fence refused the batch: another writer committed past or over it.
        case sourceConflict
        /// The sink's load limits refused the request (503): the same request may succeed later.
        case busy
        /// Anything else (bad data, unknown table, refused state change): the message says.
        case failed
    }

    package var status: Status
    package var message: String
    package var transactionID: Int64?
    /// `prepare`/`commit`: the bytes the whole transaction received (`LoadBytes`): more than
    /// the writer sent means another writer's `load` landed in it.
    package var loadBytes: Int64?
    /// `prepare`/`commit`: the rows the transaction loads (`NumberLoadedRows`).
    package var loadedRows: Int64?

    package init(
        _ status: Status, _ message: String = "", transactionID: Int64? = nil, loadBytes: Int64? = nil,
        loadedRows: Int64? = nil
    ) {
        self.status = status
        self.message = message
        self.transactionID = transactionID
        self.loadBytes = loadBytes
        self.loadedRows = loadedRows
    }
}

/// Per partition: the next offset to consume and the committed ranges, as the sink stores them.
package struct SinkProgress: Sendable, Hashable {
    package struct Partition: Sendable, Hashable {
        package var nextOffset: Int64
        package var committed: [OffsetRange]
        package var owner: String?

        package init(nextOffset: Int64, committed: [OffsetRange], owner: String? = nil) {
            self.nextOffset = nextOffset
            self.committed = committed
            self.owner = owner
        }
    }

    package var partitions: [Int32: Partition]

    package init(partitions: [Int32: Partition] = [:]) { self.partitions = partitions }
}

/// One transaction the sink lists by label prefix.
package struct SinkTransaction: Sendable, Hashable {
    package enum State: String, Sendable, Hashable {
        /// Open: begun, not prepared.
        case prepare = "PREPARE"
        case prepared = "PREPARED"
        case visible = "VISIBLE"
    }

    package var label: String
    package var transactionID: Int64
    package var state: State
    /// A PREPARED fenced batch's offsets, writer and prepare time (epoch seconds), when the sink
    /// lists them (tier 1).
    package var ranges: [Int32: OffsetRange]?
    package var owner: String?
    package var preparedTime: Int64?

    package init(
        label: String, transactionID: Int64, state: State, ranges: [Int32: OffsetRange]? = nil, owner: String? = nil,
        preparedTime: Int64? = nil
    ) {
        self.label = label
        self.transactionID = transactionID
        self.state = state
        self.ranges = ranges
        self.owner = owner
        self.preparedTime = preparedTime
    }
}

/// A sink that could not be reached or answered outside the interface, after the retries.
package struct SinkError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Hashable {
        /// Down, refusing, timing out or answering 5xx: try again later, same label.
        case unavailable
        /// Credentials refused (401/403), a redirect to a host outside the cluster, an answer
        /// that does not parse, an extension the sink lacks: needs an operator.
        case permanent
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
