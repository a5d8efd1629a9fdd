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
    /// `CREATE TABLE [IF NOT EXISTS] t [PROPERTIES (...)] AS SELECT …`: the columns and types of
    /// the query's result, DUPLICATE KEY on the first column.
    case createTableAs(QualifiedName, SelectStatement, properties: [String: String], ifNotExists: Bool)
    /// `DESC FILES(...)`: the schema FILES() infers.
    case describeFiles([String: String])
    case dropTable(QualifiedName, ifExists: Bool)
    case truncateTable(QualifiedName)
    case addPartitions(QualifiedName, [PartitionDefinition], buckets: Int?)
    case dropPartition(QualifiedName, partition: String, ifExists: Bool)
    case showDatabases(filter: ShowFilter?)
    /// `SHOW [FULL] TABLES [FROM db] [LIKE … | WHERE …]`.
    case showTables(database: String?, full: Bool, filter: ShowFilter?)
    case describe(QualifiedName)
    /// `SHOW [FULL] COLUMNS FROM t [FROM db] [LIKE … | WHERE …]`.
    case showColumns(QualifiedName, full: Bool, filter: ShowFilter?)
    /// `SHOW TABLE STATUS [FROM db] [LIKE … | WHERE …]`.
    case showTableStatus(database: String?, filter: ShowFilter?)
    /// `SHOW INDEX FROM t [FROM db]`: Sluice tables have no secondary indexes, so no rows.
    case showIndex(QualifiedName)
    /// `DESC t ALL`: the index view with its keys type and aggregates.
    case describeAll(QualifiedName)
    case showCreateTable(QualifiedName)
    case showPartitions(QualifiedName)
    case showTablet(QualifiedName)
    /// `SHOW TRANSACTION [FROM db] [WHERE LABEL = 'l' | LABEL LIKE 'p%' | ID = n]`.
    case showTransactions(database: String?, filter: TransactionFilter?)
    /// LOAD LABEL, CANCEL LOAD, SHOW LOAD (Broker Load).
    case brokerLoad(BrokerLoadStatement)
    /// CREATE / ALTER / DROP PIPE, SHOW PIPES.
    case pipe(PipeStatement)
    case insert(InsertStatement)
    /// `DELETE FROM t [PARTITION …] [WHERE …]`.
    case delete(DeleteStatement)
    /// `UPDATE t SET c = expr, … [WHERE …]`.
    case update(UpdateStatement)
    case select(SelectStatement)
    case routineLoad(RoutineLoadStatement)
    /// `SET [GLOBAL|SESSION] x = v, @u = v, …`.
    case set([SetAssignment])
    /// `SET NAMES …`, `SET CHARACTER SET …`, `SET [SESSION] TRANSACTION …`: accepted, no effect
    /// (results are always UTF-8; one isolation level).
    case setIgnored
    /// `USE db` / `USE default_catalog.db`.
    case use(String)
    /// `BEGIN`, `START TRANSACTION`, `COMMIT`, `ROLLBACK`: no-ops outside explicit transactions.
    case transactionControl
    /// `SHOW [GLOBAL|SESSION] VARIABLES [LIKE … | WHERE …]`.
    case showVariables(global: Bool, filter: ShowFilter?)
    /// SHOW statements about the server rather than the data (warnings, collations, …).
    case showServer(ServerShow, filter: ShowFilter?)
    /// `SHOW [FULL] PROCESSLIST`.
    case showProcesslist(full: Bool)
    /// `KILL [CONNECTION | QUERY] id`.
    case kill(Int64, queryOnly: Bool)
    /// Users, roles, grants (CREATE USER, GRANT, SET ROLE, SHOW GRANTS, …).
    case access(AccessStatement)
    /// CREATE / DROP / SHOW FILE.
    case file(FileStatement)
}

/// `x = v` of a SET statement.
package struct SetAssignment: Sendable {
    package enum Target: Sendable, Equatable {
        case system(name: String, global: Bool)
        case user(String)
    }
    package var target: Target
    /// nil = `DEFAULT`.
    package var value: Expr?
}

/// `LIKE 'pattern'` (on the first column) or `WHERE predicate` (over the columns) of a SHOW.
package enum ShowFilter: Sendable {
    case like(String)
    case predicate(Expr)
}

/// SHOW statements answered from the server's own description.
package enum ServerShow: Sendable, Hashable {
    case warnings, errors, collation, charset, engines, plugins, privileges, status
    case frontends, backends
    /// `ADMIN SHOW FRONTEND CONFIG`.
    case frontendConfig
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
        /// `FILES("path" = …, "format" = …, …)`: files read as a table (spec C.3).
        case files([String: String], alias: String?)
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

/// A `WHERE` of SHOW TRANSACTION.
package enum TransactionFilter: Sendable {
    case label(String)
    case labelLike(String)
    case id(Int64)
}
