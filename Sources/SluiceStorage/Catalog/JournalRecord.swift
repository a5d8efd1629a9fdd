import SluiceFormat

/// One durable decision. The metadata journal is a sequence of these; replaying them over the
/// last checkpoint rebuilds ``MetaState`` exactly (``MetaState/apply(_:)`` is the only mutator).
package enum JournalRecord: Codable, Sendable {
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
    /// Creates a source job or replaces its definition (progress is kept).
    case putJob(id: Int64, databaseID: Int64, name: String, definition: [UInt8])
    /// Sets a job's consume position (ALTER … kafka_offsets); committed ranges are untouched.
    case setJobPosition(id: Int64, position: [Int32: Int64])
    /// Records (`ranges` non-nil) or abandons a job's planned batch before/after its load.
    case planJobBatch(id: Int64, label: String, ranges: [Int32: OffsetRange]?)
    case dropJob(id: Int64)
    /// A batch whose every offset an earlier commit already loaded: ranges and counters advance
    /// without data (nothing to load twice).
    case advanceJob(SourceBatch)
    /// Users, roles and grants after a change (CREATE USER, GRANT, …): the whole, small state, so
    /// each change is one atomic record.
    case access(AccessControl)
    /// A job run by daemons elsewhere (remote-sink mode) whose progress this node keeps.
    case putRemoteJob(id: Int64, databaseID: Int64, name: String)
    /// CREATE FILE: the file's contents are already durable under `files/<id>`.
    case putFile(StoredFile)
    /// DROP FILE (its contents are removed after this record).
    case dropFile(id: Int64)
    /// A file-load job (Broker Load, Pipe) created or changed: the whole record.
    case putFileLoadJob(FileLoadJobRecord)
    /// A file-load job forgotten (label expiry, DROP PIPE), with its pipe files.
    case dropFileLoadJob(id: Int64)
    /// Pipe files added or changed (the whole entry of each).
    case putPipeFiles(pipeID: Int64, files: [PipeFileEntry])
    /// One transaction's commits into several tables, or several times into one (a Broker Load
    /// of several `DATA INFILE` clauses), under one label: all or none.
    case commitTables([CommitRecord])

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
        case .putJob: 13
        case .setJobPosition: 14
        case .planJobBatch: 15
        case .dropJob: 16
        case .advanceJob: 17
        case .access: 18
        case .putRemoteJob: 19
        case .putFile: 20
        case .dropFile: 21
        case .putFileLoadJob: 22
        case .dropFileLoadJob: 23
        case .putPipeFiles: 24
        case .commitTables: 25
        }
    }
}

/// The commit of one transaction into one table.
package struct CommitRecord: Codable, Sendable, Hashable {
    package var transactionID: Int64
    package var label: String
    package var databaseID: Int64
    package var tableID: Int64
    /// The table version this commit publishes.
    package var version: Int64
    /// New rowsets by tablet id.
    package var rowsets: [Int64: RowsetMeta]
    /// Rows this commit supersedes or deletes, by tablet id (merge-on-write tables): added to the
    /// segments' delete vectors in the same record as the rowsets that cause them.
    package var deletes: [Int64: [SegmentDeletes]]?
    /// Opaque caller payload stored with the commit (Routine Load keeps Kafka offsets here).
    package var attachment: [UInt8]?
    /// The source offsets this commit covers (Routine Load), applied to its job atomically.
    package var source: SourceBatch?
    /// Seconds since the epoch.
    package var commitTime: Int64

    /// Rows and bytes the commit's rowsets add.
    package var rowCount: Int { rowsets.values.reduce(0) { $0 + $1.rowCount } }
    package var byteCount: Int { rowsets.values.reduce(0) { $0 + $1.byteCount } }

    package init(
        transactionID: Int64, label: String, databaseID: Int64, tableID: Int64, version: Int64,
        rowsets: [Int64: RowsetMeta], deletes: [Int64: [SegmentDeletes]]? = nil, attachment: [UInt8]?,
        source: SourceBatch? = nil, commitTime: Int64
    ) {
        self.deletes = deletes
        self.source = source
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
package struct LabelEntry: Codable, Sendable, Hashable {
    package var transactionID: Int64
    package var tableID: Int64
    package var commitTime: Int64
    package var attachment: [UInt8]?
    /// The Routine Load job that committed it (nil for other loads and older checkpoints).
    package var jobID: Int64?
    /// Rows and bytes the commit added (nil in checkpoints written before they were kept).
    package var rowCount: Int?
    package var byteCount: Int?
}

/// A PREPARED transaction: fsynced rowsets not yet part of any version.
package struct PreparedTransaction: Codable, Sendable, Hashable {
    package var transactionID: Int64
    package var label: String
    package var databaseID: Int64
    package var tableID: Int64
    package var rowsets: [Int64: RowsetMeta]
    package var attachment: [UInt8]?
    /// Source offsets committed with it (Routine Load).
    package var source: SourceBatch?
    /// Seconds since the epoch.
    package var preparedTime: Int64
    /// Seconds after `preparedTime` when the transaction is aborted if not committed.
    package var timeoutSeconds: Int64
    /// Rows and bytes of the prepared data (reported by commit answers).
    package var rowCount: Int
    package var byteCount: Int
}

/// What the engine remembers of an aborted transaction (for `get_load_state` and idempotent
/// commit/rollback answers), until its label is reused or expires.
package struct AbortedTransaction: Codable, Sendable, Hashable {
    package var databaseID: Int64
    package var transactionID: Int64
    package var label: String
    package var reason: String
    /// Seconds since the epoch.
    package var abortTime: Int64

    package init(databaseID: Int64, transactionID: Int64, label: String, reason: String, abortTime: Int64) {
        self.databaseID = databaseID
        self.transactionID = transactionID
        self.label = label
        self.reason = reason
        self.abortTime = abortTime
    }
}
