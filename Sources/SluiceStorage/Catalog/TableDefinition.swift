public import SluiceFormat

/// A CREATE TABLE request, before ids are assigned.
public struct TableDefinition: Sendable {
    public var name: String
    public var columns: [ColumnSchema]
    public var keysType: KeysType
    /// Sort-key columns; empty means "the first column".
    public var keyColumns: [String]
    public var partitioning: Partitioning
    /// Explicit RANGE partitions in declaration order.
    public var partitions: [PartitionDefinition]
    public var distribution: Distribution
    public var properties: [String: String]

    public init(
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
public struct PartitionDefinition: Sendable, Hashable {
    public var name: String
    /// Literal text of the lower bound, nil = previous partition's upper (or MINVALUE).
    public var lower: String?
    /// Literal text of the upper bound, nil = MAXVALUE.
    public var upper: String?

    public init(name: String, lower: String? = nil, upper: String?) {
        self.name = name
        self.lower = lower
        self.upper = upper
    }
}
