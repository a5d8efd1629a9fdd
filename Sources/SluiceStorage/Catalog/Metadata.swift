public import SluiceFormat

/// How a table groups rows into partitions.
public enum Partitioning: Hashable, Sendable, Codable {
    /// One implicit partition named after the table.
    case none
    /// `PARTITION BY RANGE(col) (PARTITION p VALUES LESS THAN (…), …)`: explicit partitions.
    case range(column: String)
    /// `PARTITION BY date_trunc('<unit>', col)`: partitions created on demand per `unit`.
    case dateTrunc(unit: TimeUnit, column: String)

    public var column: String? {
        switch self {
        case .none: nil
        case .range(let c), .dateTrunc(_, let c): c
        }
    }
}

/// A calendar unit for expression partitioning and `date_trunc`.
public enum TimeUnit: String, Hashable, Sendable, Codable, CaseIterable {
    case second, minute, hour, day, week, month, quarter, year
}

/// How rows of a partition spread over its tablets.
public struct Distribution: Hashable, Sendable, Codable {
    /// Hash columns; empty means RANDOM.
    public var columns: [String]
    public var buckets: Int

    public init(columns: [String], buckets: Int) {
        self.columns = columns
        self.buckets = buckets
    }
}

/// The table model. Only DUPLICATE KEY exists today; the enum leaves room for the others.
public enum KeysType: String, Hashable, Sendable, Codable {
    case duplicate = "DUPLICATE"
}

/// One partition: a value range of the partition column and one tablet per bucket.
public struct PartitionMeta: Hashable, Sendable, Codable {
    public var id: Int64
    public var name: String
    /// Inclusive lower bound (`nil` = MINVALUE).
    public var lower: Value?
    /// Exclusive upper bound (`nil` = MAXVALUE).
    public var upper: Value?
    /// Tablet ids, indexed by bucket.
    public var tablets: [TabletMeta]
    /// Version of the last commit that touched this partition.
    public var visibleVersion: Int64

    public var rowCount: Int { tablets.reduce(0) { $0 + $1.rowCount } }

    public func contains(_ value: Value) -> Bool {
        if let lower, compareValues(value, lower) < 0 { return false }
        if let upper, compareValues(value, upper) >= 0 { return false }
        return true
    }
}

/// One tablet: the rowsets of one bucket of one partition.
public struct TabletMeta: Hashable, Sendable, Codable {
    public var id: Int64
    public var bucket: Int
    public var rowsets: [RowsetMeta]

    public var rowCount: Int { rowsets.reduce(0) { $0 + $1.rowCount } }
    public var byteCount: Int { rowsets.reduce(0) { $0 + $1.byteCount } }
    /// Number of versions not yet merged (StarRocks' VersionCount).
    public var versionCount: Int { rowsets.count }
}

/// An immutable set of segments written by one transaction (or one compaction).
public struct RowsetMeta: Hashable, Sendable, Codable {
    public var id: Int64
    /// Versions covered, inclusive (`[v, v]` for a load, a span after compaction).
    public var startVersion: Int64
    public var endVersion: Int64
    public var segments: [SegmentMeta]

    public var rowCount: Int { segments.reduce(0) { $0 + $1.rowCount } }
    public var byteCount: Int { segments.reduce(0) { $0 + $1.byteCount } }
}

/// A segment file of a rowset.
public struct SegmentMeta: Hashable, Sendable, Codable {
    public var index: Int
    public var rowCount: Int
    public var byteCount: Int
    /// CRC32C of the whole file (checked by fsck).
    public var checksum: UInt32
}

/// A table's definition and its data layout at one version. Copying it is a consistent snapshot.
public struct TableMeta: Hashable, Sendable, Codable {
    public var id: Int64
    public var databaseID: Int64
    public var name: String
    public var schema: TableSchema
    public var keysType: KeysType
    public var keyColumns: [String]
    public var partitioning: Partitioning
    public var distribution: Distribution
    public var properties: [String: String]
    public var partitions: [PartitionMeta]
    public var nextColumnID: Int
    /// The last published version; every commit adds one.
    public var version: Int64
    /// Seconds since the epoch.
    public var createTime: Int64

    public func partition(named name: String) -> PartitionMeta? {
        partitions.first { $0.name.equalsIgnoringCase(name) }
    }

    public var rowCount: Int { partitions.reduce(0) { $0 + $1.rowCount } }

    /// Indices of the sort-key columns in `schema`.
    public var keyColumnIndices: [Int] { keyColumns.compactMap { schema.index(of: $0) } }
}

/// A database and its tables.
public struct DatabaseMeta: Hashable, Sendable, Codable {
    public var id: Int64
    public var name: String
    public var tables: [Int64: TableMeta]

    public func table(named name: String) -> TableMeta? {
        tables.values.first { $0.name.equalsIgnoringCase(name) }
    }
}
