import SluiceExpr
import SluiceFormat
package import SluiceRoutineLoad
package import SluiceStorage
package import SluiceTxn

/// Runs statements against a storage engine. Synchronous and blocking: call it off the
/// cooperative pool.
package struct SQLExecutor: Sendable {
    package let engine: StorageEngine
    /// The owner of transactions INSERT commits through (shared with every load path, so labels
    /// are one namespace).
    package let transactions: TransactionManager
    /// Runs the Routine Load statements; nil where no daemon runs (they then fail).
    package let routineLoad: RoutineLoadManager?

    /// - Parameter transactions: the process's transaction owner (the one its load paths use);
    ///   by default a new one over `engine`.
    package init(engine: StorageEngine, transactions: TransactionManager? = nil, routineLoad: RoutineLoadManager? = nil)
    {
        self.engine = engine
        self.transactions = transactions ?? TransactionManager(engine: engine)
        self.routineLoad = routineLoad
    }

    /// Parses and runs one statement.
    /// Runs on a large stack (``LargeStack``): statements at the expression depth limit recurse
    /// deeply in parsing and analysis.
    package func execute(_ sql: String, session: Session) throws(SQLError) -> StatementResult {
        do {
            return try LargeStack.run {
                let statement = try SQLParser.parse(sql)
                return try run(statement, session: session)
            }
        } catch let error as SQLError {
            throw error
        } catch let error as StorageError {
            throw Self.translate(error)
        } catch let error as TransactionError {
            throw Self.translate(error)
        } catch let error as ExprError {
            throw SQLError(error.code == .syntax ? .syntax : .analysis, error.description)
        } catch {
            throw SQLError(.internalError, "\(error)")
        }
    }

    static func translate(_ error: StorageError) -> SQLError {
        switch error.code {
        case .unknownDatabase, .unknownTable, .unknownPartition: SQLError(.notFound, error.message)
        case .alreadyExists: SQLError(.alreadyExists, error.message)
        case .invalidDefinition, .unsupported: SQLError(.analysis, error.message)
        case .invalidData: SQLError(.dataQuality, error.message)
        default: SQLError(.internalError, error.message)
        }
    }

    static func translate(_ error: TransactionError) -> SQLError {
        switch error.code {
        case .labelAlreadyExists: SQLError(.alreadyExists, error.message)
        case .unknownDatabase, .notFound: SQLError(.notFound, error.message)
        case .invalidLabel: SQLError(.analysis, error.message)
        default: SQLError(.internalError, error.message)
        }
    }

    func run(_ statement: Statement, session: Session) throws -> StatementResult {
        switch statement {
        case .createDatabase(let name, let ifNotExists):
            try engine.createDatabase(name, ifNotExists: ifNotExists)
        case .dropDatabase(let name, let ifExists):
            try engine.dropDatabase(name, ifExists: ifExists)
        case .createTable(let name, let definition, let ifNotExists):
            try engine.createTable(database: try Self.database(name, session), definition, ifNotExists: ifNotExists)
        case .dropTable(let name, let ifExists):
            try engine.dropTable(database: try Self.database(name, session), name: name.name, ifExists: ifExists)
        case .truncateTable(let name):
            try engine.truncateTable(database: try Self.database(name, session), name: name.name)
        case .addPartitions(let name, let partitions, let buckets):
            try engine.addPartitions(
                database: try Self.database(name, session), table: name.name, partitions, buckets: buckets)
        case .dropPartition(let name, let partition, let ifExists):
            try engine.dropPartition(
                database: try Self.database(name, session), table: name.name, partition: partition, ifExists: ifExists)
        case .showDatabases, .showTables, .describe, .describeAll, .showCreateTable, .showPartitions, .showTablet,
            .showTransactions:
            return .rows(try ShowExecution(engine: engine, session: session).run(statement), QueryStatistics())
        case .insert(let insert):
            var statistics = QueryStatistics()
            statistics.affectedRows = try InsertExecution(engine: engine, transactions: transactions, session: session)
                .run(insert)
            return .ok(statistics)
        case .delete(let delete):
            var statistics = QueryStatistics()
            statistics.affectedRows = try DMLExecution(engine: engine, transactions: transactions, session: session)
                .delete(delete)
            return .ok(statistics)
        case .update(let update):
            var statistics = QueryStatistics()
            statistics.affectedRows = try DMLExecution(engine: engine, transactions: transactions, session: session)
                .update(update)
            return .ok(statistics)
        case .select(let select):
            let (result, statistics) = try QueryExecution(engine: engine, session: session).run(select)
            return .rows(result, statistics)
        case .routineLoad(let statement):
            guard let routineLoad else { throw SQLError(.analysis, "Routine Load is not available in this process") }
            return try RoutineLoadExecution(manager: routineLoad, session: session).run(statement)
        }
        return .ok(QueryStatistics())
    }

    /// The database of `name`, or the session's.
    static func database(_ name: QualifiedName, _ session: Session) throws -> String {
        guard let db = name.database ?? session.database else {
            throw SQLError(.analysis, "No database selected: qualify '\(name.name)' as db.\(name.name)")
        }
        return db
    }
}
