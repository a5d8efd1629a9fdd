public import SluiceExpr
import SluiceFormat
public import SluiceStorage

/// A possibly database-qualified name.
public struct QualifiedName: Sendable, Hashable {
    public var database: String?
    public var name: String
    public init(database: String? = nil, name: String) {
        self.database = database
        self.name = name
    }
}

/// One parsed SQL statement.
public enum Statement: Sendable {
    case createDatabase(name: String, ifNotExists: Bool)
    case dropDatabase(name: String, ifExists: Bool)
    case createTable(QualifiedName, TableDefinition, ifNotExists: Bool)
    case dropTable(QualifiedName, ifExists: Bool)
    case truncateTable(QualifiedName)
    case addPartitions(QualifiedName, [PartitionDefinition], buckets: Int?)
    case dropPartition(QualifiedName, partition: String, ifExists: Bool)
    case showDatabases
    case showTables(database: String?)
    case describe(QualifiedName)
    case showCreateTable(QualifiedName)
    case showPartitions(QualifiedName)
    case showTablet(QualifiedName)
    /// `SHOW TRANSACTION [FROM db] [WHERE LABEL = 'l' | LABEL LIKE 'p%' | ID = n]` (also `SHOW LOAD`).
    case showTransactions(database: String?, filter: TransactionFilter?, asLoads: Bool)
    case insert(InsertStatement)
    case select(SelectStatement)
    case routineLoad(RoutineLoadStatement)
}

public struct InsertStatement: Sendable {
    public var table: QualifiedName
    public var label: String?
    public var columns: [String]?
    public enum Source: Sendable {
        case values([[Expr]])
        case select(SelectStatement)
    }
    public var source: Source
}

/// A SELECT query.
public struct SelectStatement: Sendable {
    public struct Item: Sendable {
        public var expr: Expr
        public var alias: String?
    }

    public enum Source: Sendable {
        case none
        case table(QualifiedName, alias: String?)
        /// `TABLE(generate_series(start, end[, step]))`.
        case generateSeries(start: Expr, end: Expr, step: Expr?, alias: String?)
    }

    public struct OrderItem: Sendable {
        public var expr: Expr
        public var descending: Bool
    }

    public var distinct = false
    public var items: [Item] = []
    public var source: Source = .none
    public var filter: Expr?
    public var groupBy: [Expr] = []
    public var having: Expr?
    public var orderBy: [OrderItem] = []
    public var limit: Int?
    public var offset: Int = 0
}

/// A `WHERE` of SHOW TRANSACTION / SHOW LOAD.
public enum TransactionFilter: Sendable {
    case label(String)
    case labelLike(String)
    case id(Int64)
}
