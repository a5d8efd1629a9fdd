package import SluiceExpr
import SluiceFormat
package import SluiceStorage

/// A possibly database-qualified name.
package struct QualifiedName: Sendable, Hashable {
    package var database: String?
    package var name: String
    package init(database: String? = nil, name: String) {
        self.database = database
        self.name = name
    }
}

/// One parsed SQL statement.
package enum Statement: Sendable {
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
    /// `DESC t ALL`: the index view with its keys type and aggregates.
    case describeAll(QualifiedName)
    case showCreateTable(QualifiedName)
    case showPartitions(QualifiedName)
    case showTablet(QualifiedName)
    /// `SHOW TRANSACTION [FROM db] [WHERE LABEL = 'l' | LABEL LIKE 'p%' | ID = n]` (also `SHOW LOAD`).
    case showTransactions(database: String?, filter: TransactionFilter?, asLoads: Bool)
    case insert(InsertStatement)
    /// `DELETE FROM t [PARTITION …] [WHERE …]`.
    case delete(DeleteStatement)
    /// `UPDATE t SET c = expr, … [WHERE …]`.
    case update(UpdateStatement)
    case select(SelectStatement)
    case routineLoad(RoutineLoadStatement)
}

package struct InsertStatement: Sendable {
    package var table: QualifiedName
    package var label: String?
    package var columns: [String]?
    /// `PROPERTIES ("merge_condition" = "col")`.
    package var properties: [String: String] = [:]
    package enum Source: Sendable {
        case values([[Expr]])
        case select(SelectStatement)
    }
    package var source: Source
}

package struct DeleteStatement: Sendable {
    package var table: QualifiedName
    /// `PARTITION p` / `PARTITIONS (p, …)`, when given.
    package var partitions: [String]?
    package var filter: Expr?
}

package struct UpdateStatement: Sendable {
    package var table: QualifiedName
    package var assignments: [(column: String, value: Expr)]
    package var filter: Expr?
}

/// A SELECT query.
package struct SelectStatement: Sendable {
    package struct Item: Sendable {
        package var expr: Expr
        package var alias: String?
    }

    package enum Source: Sendable {
        case none
        case table(QualifiedName, alias: String?)
        /// `TABLE(generate_series(start, end[, step]))`.
        case generateSeries(start: Expr, end: Expr, step: Expr?, alias: String?)
    }

    package struct OrderItem: Sendable {
        package var expr: Expr
        package var descending: Bool
    }

    package var distinct = false
    package var items: [Item] = []
    package var source: Source = .none
    package var filter: Expr?
    package var groupBy: [Expr] = []
    package var having: Expr?
    package var orderBy: [OrderItem] = []
    package var limit: Int?
    package var offset: Int = 0
}

/// A `WHERE` of SHOW TRANSACTION / SHOW LOAD.
package enum TransactionFilter: Sendable {
    case label(String)
    case labelLike(String)
    case id(Int64)
}
