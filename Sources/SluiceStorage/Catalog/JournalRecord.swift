public import SluiceFormat

/// One durable decision. The metadata journal is a sequence of these; replaying them over the
/// last checkpoint rebuilds ``MetaState`` exactly (``MetaState/apply(_:)`` is the only mutator).
public enum JournalRecord: Codable, Sendable {
    case createDatabase(id: Int64, name: String)
    case dropDatabase(id: Int64)
    case createTable(TableMeta)
    case dropTable(databaseID: Int64, tableID: Int64)
    case addPartitions(databaseID: Int64, tableID: Int64, partitions: [PartitionMeta])
    case dropPartition(databaseID: Int64, tableID: Int64, partitionID: Int64)
    /// Replaces every partition's tablets with empty ones (TRUNCATE TABLE).
    case truncateTable(databaseID: Int64, tableID: Int64, partitions: [PartitionMeta])
    /// A transaction's data becomes part of the table: rowsets, label and attachment in ONE record.
    case commit(CommitRecord)
    /// Compaction: `inputs` of a tablet replaced by `output`.
    case compact(databaseID: Int64, tableID: Int64, tabletID: Int64, inputs: [Int64], output: RowsetMeta)
    /// A transaction's data is durable but invisible (2PC PREPARED); a later `commit` with the same
    /// transaction id publishes it, `abortPrepared` discards it.
    case prepare(PreparedTransaction)
    case abortPrepared(transactionID: Int64, reason: String)
    /// A transaction that never prepared was aborted (its label is free; the state is remembered).
    case abortTransaction(AbortedTransaction)

    /// The record type byte in the log frame.
    var typeTag: UInt8 {
        switch self {
        case .createDatabase: 1
        case .dropDatabase: 2
        case .createTable: 3
        case .dropTable: 4
        case .addPartitions: 5
        case .dropPartition: 6
        case .truncateTable: 7
        case .commit: 8
        case .compact: 9
        case .prepare: 10
        case .abortPrepared: 11
        case .abortTransaction: 12
        }
    }
}

/// The commit of one transaction into one table.
public struct CommitRecord: Codable, Sendable, Hashable {
    public var transactionID: Int64
    public var label: String
    public var databaseID: Int64
    public var tableID: Int64
    /// The table version this commit publishes.
    public var version: Int64
    /// New rowsets by tablet id.
    public var rowsets: [Int64: RowsetMeta]
    /// Opaque caller payload stored with the commit (Routine Load keeps Kafka offsets here).
    public var attachment: [UInt8]?
    /// Seconds since the epoch.
    public var commitTime: Int64

    public init(
        transactionID: Int64, label: String, databaseID: Int64, tableID: Int64, version: Int64,
        rowsets: [Int64: RowsetMeta], attachment: [UInt8]?, commitTime: Int64
    ) {
        self.transactionID = transactionID
        self.label = label
        self.databaseID = databaseID
        self.tableID = tableID
        self.version = version
        self.rowsets = rowsets
        self.attachment = attachment
        self.commitTime = commitTime
    }
}

/// What the engine remembers of a committed label.
public struct LabelEntry: Codable, Sendable, Hashable {
    public var transactionID: Int64
    public var tableID: Int64
    public var commitTime: Int64
    public var attachment: [UInt8]?
}

/// A PREPARED transaction: fsynced rowsets not yet part of any version.
public struct PreparedTransaction: Codable, Sendable, Hashable {
    public var transactionID: Int64
    public var label: String
    public var databaseID: Int64
    public var tableID: Int64
    public var rowsets: [Int64: RowsetMeta]
    public var attachment: [UInt8]?
    /// Seconds since the epoch.
    public var preparedTime: Int64
    /// Seconds after `preparedTime` when the transaction is aborted if not committed.
    public var timeoutSeconds: Int64
    /// Rows and bytes of the prepared data (reported by commit answers).
    public var rowCount: Int
    public var byteCount: Int
}

/// What the engine remembers of an aborted transaction (for `get_load_state` and idempotent
/// commit/rollback answers), until its label is reused or expires.
public struct AbortedTransaction: Codable, Sendable, Hashable {
    public var databaseID: Int64
    public var transactionID: Int64
    public var label: String
    public var reason: String
    /// Seconds since the epoch.
    public var abortTime: Int64

    public init(databaseID: Int64, transactionID: Int64, label: String, reason: String, abortTime: Int64) {
        self.databaseID = databaseID
        self.transactionID = transactionID
        self.label = label
        self.reason = reason
        self.abortTime = abortTime
    }
}
