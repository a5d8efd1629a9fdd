package import SluiceFormat

/// How a table groups rows into partitions.
package enum Partitioning: Hashable, Sendable, Codable {
    /// One implicit partition named after the table.
    case none
    /// `PARTITION BY RANGE(col) (PARTITION p VALUES LESS THAN (…), …)`: explicit partitions.
    case range(column: String)
    /// `PARTITION BY date_trunc('<unit>', col)`: partitions created on demand per `unit`.
    case dateTrunc(unit: TimeUnit, column: String)

    package var column: String? {
        switch self {
        case .none: nil
        case .range(let c), .dateTrunc(_, let c): c
        }
    }
}

/// A calendar unit for expression partitioning and `date_trunc`.
package enum TimeUnit: String, Hashable, Sendable, Codable, CaseIterable {
    case second, minute, hour, day, week, month, quarter, year
}

/// How rows of a partition spread over its tablets.
package struct Distribution: Hashable, Sendable, Codable {
    /// Hash columns; empty means RANDOM.
    package var columns: [String]
    package var buckets: Int

    package init(columns: [String], buckets: Int) {
        self.columns = columns
        self.buckets = buckets
    }
}

/// The table model (StarRocks' keys types).
package enum KeysType: String, Hashable, Sendable, Codable {
    case duplicate = "DUPLICATE"
    case primary = "PRIMARY"
    case unique = "UNIQUE"
    case aggregate = "AGGREGATE"

    /// The internal name in messages and `DESC … ALL`: `DUP_KEYS`, `PRIMARY_KEYS`, ….
    package var internalName: String {
        switch self {
        case .duplicate: "DUP_KEYS"
        case .primary: "PRIMARY_KEYS"
        case .unique: "UNIQUE_KEYS"
        case .aggregate: "AGG_KEYS"
        }
    }

    /// The SQL spelling of the key clause: `DUPLICATE KEY`, `PRIMARY KEY`, ….
    package var sqlName: String { "\(rawValue) KEY" }
}

/// One partition: a value range of the partition column and one tablet per bucket.
package struct PartitionMeta: Hashable, Sendable, Codable {
    package var id: Int64
    package var name: String
    /// Inclusive lower bound (`nil` = MINVALUE).
    package var lower: Value?
    /// Exclusive upper bound (`nil` = MAXVALUE).
    package var upper: Value?
    /// Tablet ids, indexed by bucket.
    package var tablets: [TabletMeta]
    /// Version of the last commit that touched this partition.
    package var visibleVersion: Int64

    package var rowCount: Int { tablets.reduce(0) { $0 + $1.rowCount } }

    package func contains(_ value: Value) -> Bool {
        if let lower, compareValues(value, lower) < 0 { return false }
        if let upper, compareValues(value, upper) >= 0 { return false }
        return true
    }
}

/// One tablet: the rowsets of one bucket of one partition.
package struct TabletMeta: Hashable, Sendable, Codable {
    package var id: Int64
    package var bucket: Int
    package var rowsets: [RowsetMeta]

    package var rowCount: Int { rowsets.reduce(0) { $0 + $1.rowCount } }
    package var byteCount: Int { rowsets.reduce(0) { $0 + $1.byteCount } }
    /// Number of versions not yet merged (StarRocks' VersionCount).
    package var versionCount: Int { rowsets.count }
}

/// An immutable set of segments written by one transaction (or one compaction).
package struct RowsetMeta: Hashable, Sendable, Codable {
    package var id: Int64
    /// Versions covered, inclusive (`[v, v]` for a load, a span after compaction).
    package var startVersion: Int64
    package var endVersion: Int64
    package var segments: [SegmentMeta]
    /// A partial update's rowset (PRIMARY KEY): ids of the columns the load named. At commit the
    /// other columns of rows whose key exists are taken from the stored row (the rowset is then
    /// rewritten as full rows); nil = full rows.
    package var partialColumnIDs: [Int]?
    /// A conditional update's rowset (`merge_condition`, PRIMARY KEY): the id of the column whose
    /// new value must be ≥ the stored one for a row to replace it.
    package var mergeConditionColumnID: Int?

    package init(
        id: Int64, startVersion: Int64, endVersion: Int64, segments: [SegmentMeta], partialColumnIDs: [Int]? = nil,
        mergeConditionColumnID: Int? = nil
    ) {
        self.id = id
        self.startVersion = startVersion
        self.endVersion = endVersion
        self.segments = segments
        self.partialColumnIDs = partialColumnIDs
        self.mergeConditionColumnID = mergeConditionColumnID
    }

    /// Rows a query sees (data rows not deleted).
    package var rowCount: Int { segments.reduce(0) { $0 + $1.liveRowCount } }
    package var byteCount: Int { segments.reduce(0) { $0 + $1.byteCount } }
}

/// A segment file of a rowset.
package struct SegmentMeta: Hashable, Sendable, Codable {
    /// What a segment file holds.
    package enum Kind: String, Hashable, Sendable, Codable {
        /// Rows of the table.
        case data
        /// The key columns of a load's delete operations (`__op` = 1) on a merge-on-write table:
        /// applied to the primary index at commit, never read by queries.
        case deletes
    }

    package var index: Int
    package var rowCount: Int
    package var byteCount: Int
    /// CRC32C of the whole file (checked by fsck).
    package var checksum: UInt32
    package var kind: Kind = .data
    /// Rows superseded or deleted by later commits (merge-on-write tables).
    package var deleted = DeleteVector()

    /// Rows a query sees.
    package var liveRowCount: Int { kind == .data ? rowCount - deleted.count : 0 }

    package init(index: Int, rowCount: Int, byteCount: Int, checksum: UInt32, kind: Kind = .data) {
        self.index = index
        self.rowCount = rowCount
        self.byteCount = byteCount
        self.checksum = checksum
        self.kind = kind
    }

    private enum CodingKeys: String, CodingKey { case index, rowCount, byteCount, checksum, kind, deleted }

    /// Metadata written before merge-on-write tables decodes as data segments without deletes.
    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        index = try c.decode(Int.self, forKey: .index)
        rowCount = try c.decode(Int.self, forKey: .rowCount)
        byteCount = try c.decode(Int.self, forKey: .byteCount)
        checksum = try c.decode(UInt32.self, forKey: .checksum)
        kind = try c.decodeIfPresent(Kind.self, forKey: .kind) ?? .data
        deleted = try c.decodeIfPresent(DeleteVector.self, forKey: .deleted) ?? DeleteVector()
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(index, forKey: .index)
        try c.encode(rowCount, forKey: .rowCount)
        try c.encode(byteCount, forKey: .byteCount)
        try c.encode(checksum, forKey: .checksum)
        if kind != .data { try c.encode(kind, forKey: .kind) }
        if !deleted.isEmpty { try c.encode(deleted, forKey: .deleted) }
    }
}

/// A table's definition and its data layout at one version. Copying it is a consistent snapshot.
package struct TableMeta: Hashable, Sendable, Codable {
    package var id: Int64
    package var databaseID: Int64
    package var name: String
    package var schema: TableSchema
    package var keysType: KeysType
    /// The key clause's columns (for DUPLICATE KEY tables also the sort key).
    package var keyColumns: [String]
    /// A PRIMARY KEY table's `ORDER BY` sort key, when declared; nil = the key columns.
    package var sortKey: [String]?
    package var partitioning: Partitioning
    package var distribution: Distribution
    package var properties: [String: String]
    package var partitions: [PartitionMeta]
    package var nextColumnID: Int
    /// The last published version; every commit adds one.
    package var version: Int64
    /// Seconds since the epoch.
    package var createTime: Int64

    package func partition(named name: String) -> PartitionMeta? {
        partitions.first { $0.name.equalsIgnoringCase(name) }
    }

    package var rowCount: Int { partitions.reduce(0) { $0 + $1.rowCount } }
    /// Bytes of the table's live rowsets.
    package var byteCount: Int { partitions.reduce(0) { $0 + $1.tablets.reduce(0) { $0 + $1.byteCount } } }

    /// Indices of the sort-key columns in `schema`.
    package var keyColumnIndices: [Int] { keyColumns.compactMap { schema.index(of: $0) } }
}

/// A database and its tables.
package struct DatabaseMeta: Hashable, Sendable, Codable {
    package var id: Int64
    package var name: String
    package var tables: [Int64: TableMeta]

    package func table(named name: String) -> TableMeta? {
        tables.values.first { $0.name.equalsIgnoringCase(name) }
    }
}
