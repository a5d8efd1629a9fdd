package import SluiceFormat

/// A CREATE TABLE request, before ids are assigned.
package struct TableDefinition: Sendable {
    package var name: String
    package var columns: [ColumnSchema]
    package var keysType: KeysType
    /// The key clause's columns; empty when there is none (DUPLICATE: the first column; AGGREGATE:
    /// every column without an aggregate).
    package var keyColumns: [String]
    /// `ORDER BY` columns, when given.
    package var sortKey: [String]?
    package var partitioning: Partitioning
    /// Explicit RANGE partitions in declaration order.
    package var partitions: [PartitionDefinition]
    package var distribution: Distribution
    /// Whether `DISTRIBUTED BY` was written (PRIMARY KEY tables default to hashing their key;
    /// UNIQUE and AGGREGATE tables must give it).
    package var distributionGiven = true
    /// Columns declared `NULL` explicitly (a PRIMARY KEY column may not be).
    package var declaredNullable: Set<String> = []
    package var properties: [String: String]

    package init(
        name: String, columns: [ColumnSchema], keysType: KeysType = .duplicate, keyColumns: [String] = [],
        partitioning: Partitioning = .none, partitions: [PartitionDefinition] = [],
        distribution: Distribution = Distribution(columns: [], buckets: 1), properties: [String: String] = [:]
    ) {
        self.name = name
        self.columns = columns
        self.keysType = keysType
        self.keyColumns = keyColumns
        self.partitioning = partitioning
        self.partitions = partitions
        self.distribution = distribution
        self.properties = properties
    }
}

/// One explicit RANGE partition: `VALUES LESS THAN (upper)` or `VALUES [lower, upper)`.
package struct PartitionDefinition: Sendable, Hashable {
    package var name: String
    /// Literal text of the lower bound, nil = previous partition's upper (or MINVALUE).
    package var lower: String?
    /// Literal text of the upper bound, nil = MAXVALUE.
    package var upper: String?

    package init(name: String, lower: String? = nil, upper: String?) {
        self.name = name
        self.lower = lower
        self.upper = upper
    }
}
