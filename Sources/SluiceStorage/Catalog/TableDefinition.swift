package import SluiceFormat

/// A CREATE TABLE request, before ids are assigned.
package struct TableDefinition: Sendable {
    package var name: String
    package var columns: [ColumnSchema]
    package var keysType: KeysType
    /// Sort-key columns; empty means "the first column".
    package var keyColumns: [String]
    package var partitioning: Partitioning
    /// Explicit RANGE partitions in declaration order.
    package var partitions: [PartitionDefinition]
    package var distribution: Distribution
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
