package import Logging
import SluiceExpr
package import SluiceFiles
import SluiceFormat
package import SluiceRoutineLoad
package import SluiceStorage
package import SluiceTxn

/// What a statement produced, rows still to be pulled.
package enum StatementOutcome: Sendable {
    /// A result set: pull it with ``RowCursor/next()``, then close it.
    case rows(RowCursor)
    /// DDL, DML, SET, …: no result set.
    case ok(QueryStatistics)
}

/// Runs statements against a storage engine. Synchronous and blocking: call it off the
/// cooperative pool.
package struct SQLExecutor: Sendable {
    package let engine: StorageEngine
    /// The owner of transactions INSERT commits through (shared with every load path, so labels
    /// are one namespace).
    package let transactions: TransactionManager
    /// Runs the Routine Load statements; nil where no daemon runs (they then fail).
    package let routineLoad: RoutineLoadManager?
    /// The process's global variables and identity (versions, ports).
    package let globals: GlobalVariables
    /// Where statements that destroy data (DROP, TRUNCATE) are logged; nil logs nothing.
    package var logger: Logger?
    /// Runs Broker Load jobs; nil where none run (LOAD LABEL then fails).
    package var brokerLoad: BrokerLoadManager?
    /// Runs pipes; nil where none run (CREATE PIPE then fails).
    package var pipes: PipeManager?
    /// The HTTP URL of an error log by name (SHOW LOAD's `URL`).
    package var errorLogURL: (@Sendable (String) -> String)?
    /// Downloads CREATE FILE's URL (the server wires an HTTP client).
    package var downloadFile: (@Sendable (String) throws -> [UInt8])?
    /// Longest statement text accepted (`sql.max_statement_bytes`). Default 64 MiB.
    package var maxStatementBytes = 64 << 20

    /// - Parameter transactions: the process's transaction owner (the one its load paths use);
    ///   by default a new one over `engine`.
    package init(
        engine: StorageEngine, transactions: TransactionManager? = nil, routineLoad: RoutineLoadManager? = nil,
        globals: GlobalVariables = GlobalVariables()
    ) {
        self.engine = engine
        self.transactions = transactions ?? TransactionManager(engine: engine)
        self.routineLoad = routineLoad
        self.globals = globals
    }

    /// Parses and runs one statement, collecting its rows (the session's changes are dropped).
    package func execute(_ sql: String, session: Session) throws(SQLError) -> StatementResult {
        var session = session
        return try execute(sql, session: &session)
    }

    /// Parses and runs one statement, collecting its rows; SET and USE change `session`.
    package func execute(_ sql: String, session: inout Session) throws(SQLError) -> StatementResult {
        switch try open(sql, session: &session) {
        case .ok(let statistics):
            return .ok(statistics)
        case .rows(let cursor):
            let result = try cursor.collect()
            return .rows(result, cursor.statistics)
        }
    }

    /// Parses and starts one statement; SET and USE change `session`.
    /// Runs on a large stack (``LargeStack``): statements at the expression depth limit recurse
    /// deeply in parsing and analysis.
    package func open(_ sql: String, session: inout Session) throws(SQLError) -> StatementOutcome {
        try checkLength(sql)
        do {
            return try LargeStack.run {
                let statement: Statement
                do {
                    statement = try SQLParser.parse(sql)
                } catch {
                    // The statement log: secrets in a statement no parser understood are masked by pattern.
                    logger?.notice(
                        "statement failed to parse",
                        metadata: [
                            "user": "\(session.user)",
                            "statement": "\(StatementRedactor.redact(String(sql.prefix(4096))))",
                            "error": "\(StatementRedactor.redact("\(error)", secretsOf: sql))",
                        ])
                    throw error
                }
                return try run(statement, session: &session)
            }
        } catch {
            throw Self.translate(error)
        }
    }

    /// Checks that `sql` parses (COM_STMT_PREPARE reports syntax errors before any execute).
    package static func check(_ sql: String) throws(SQLError) {
        do {
            _ = try LargeStack.run { try SQLParser.parse(sql) }
        } catch {
            throw translate(error)
        }
    }

    /// - Throws: `.tooLong` past ``maxStatementBytes``.
    package func checkLength(_ sql: String) throws(SQLError) {
        let length = sql.utf8.count
        guard length > maxStatementBytes else { return }
        throw SQLError(
            .tooLong,
            "The statement is \(length) bytes, longer than sql.max_statement_bytes (\(maxStatementBytes)); "
                + "split it (e.g. INSERT in batches) or load the data with Stream Load")
    }

    /// `USE name` (also `default_catalog.name`, COM_INIT_DB's forms).
    package func use(_ name: String, session: inout Session) throws(SQLError) {
        do {
            let authorizer = Authorizer(access: engine.access, session: session)
            try SessionExecution.use(name, engine: engine, authorizer: authorizer, session: &session)
        } catch {
            throw Self.translate(error)
        }
    }

    /// What `information_schema` reads, as `authorizer`'s session may see it.
    func catalog(_ authorizer: Authorizer) -> SystemCatalog {
        SystemCatalog(
            engine: engine, globals: globals, routineLoad: routineLoad, pipes: pipes, brokerLoad: brokerLoad,
            authorizer: authorizer)
    }

    /// A system variable's value as `session` sees it; nil for unknown names.
    package func variable(_ name: String, session: Session) -> VariableValue? {
        try? SessionVariables(globals: globals).value(name, global: false, session: session)
    }

    /// The statements of a script (`;`-separated; strings and comments respected; empty ones
    /// dropped). - Throws: `.emptyQuery` when there is none.
    package static func statements(_ sql: String) throws(SQLError) -> [String] {
        let tokens: [Token]
        do {
            tokens = try Lexer.tokenize(sql)
        } catch {
            return [sql]  // the parser reports the lexical error
        }
        let bytes = Array(sql.utf8)
        var statements = [String]()
        var start = 0
        var hasContent = false
        for token in tokens {
            switch token.kind {
            case .symbol(";"), .end:
                if hasContent {
                    statements.append(String(decoding: bytes[start..<token.offset], as: UTF8.self))
                }
                start = min(bytes.count, token.offset + 1)
                hasContent = false
            default:
                hasContent = true
            }
        }
        guard !statements.isEmpty else { throw SQLError(.emptyQuery, "Query was empty") }
        return statements
    }

    /// The SQL error for any failure of a statement.
    package static func translate(_ error: any Error) -> SQLError {
        switch error {
        case let error as SQLError: error
        case let error as StorageError: translate(error)
        case let error as TransactionError: translate(error)
        case let error as ExprError: translate(error)
        case let error as BrokerLoadError: translate(error)
        case let error as PipeError: translate(error)
        default: SQLError(.internalError, "\(error)")
        }
    }

    static func translate(_ error: PipeError) -> SQLError {
        switch error.code {
        case .unknownDatabase: SQLError(.unknownDatabase, error.message)
        case .unknownPipe: SQLError(.notFound, error.message)
        case .alreadyExists: SQLError(.alreadyExists, error.message)
        case .invalidArgument: SQLError(.analysis, error.message)
        }
    }

    static func translate(_ error: BrokerLoadError) -> SQLError {
        switch error.code {
        case .labelAlreadyUsed: SQLError(.labelExists, error.message)
        case .unknownDatabase: SQLError(.unknownDatabase, error.message)
        case .unknownTable: SQLError(.unknownTable, error.message)
        case .jobNotFound, .notCancellable: SQLError(.notFound, error.message)
        case .invalidLabel, .invalidArgument: SQLError(.analysis, error.message)
        }
    }

    static func translate(_ error: StorageError) -> SQLError {
        switch error.code {
        case .unknownDatabase: SQLError(.unknownDatabase, error.message)
        case .unknownTable: SQLError(.unknownTable, error.message)
        case .unknownPartition: SQLError(.notFound, error.message)
        case .alreadyExists: SQLError(.alreadyExists, error.message)
        case .invalidDefinition, .unsupported: SQLError(.analysis, error.message)
        case .invalidData: SQLError(.dataQuality, error.message)
        default: SQLError(.internalError, error.message)
        }
    }

    static func translate(_ error: ExprError) -> SQLError {
        switch error.code {
        case .syntax: SQLError(.syntax, error.description)
        case .unknownColumn: SQLError(.unknownColumn, error.description)
        default: SQLError(.analysis, error.description)
        }
    }

    static func translate(_ error: TransactionError) -> SQLError {
        switch error.code {
        case .labelAlreadyExists: SQLError(.labelExists, error.message)
        case .unknownDatabase: SQLError(.unknownDatabase, error.message)
        case .notFound: SQLError(.notFound, error.message)
        case .invalidLabel: SQLError(.analysis, error.message)
        default: SQLError(.internalError, error.message)
        }
    }

    func run(_ statement: Statement, session: inout Session) throws -> StatementOutcome {
        let folding = SessionFunctions(session: session, globals: globals)
        let authorizer = Authorizer(access: engine.access, session: session)
        try authorizer.check(statement, session: session)
        switch statement {
        case .createDatabase(let name, let ifNotExists):
            do {
                try engine.createDatabase(name, ifNotExists: ifNotExists)
            } catch let error as StorageError where error.code == .alreadyExists {
                throw SQLError(.databaseExists, error.message)
            }
        case .dropDatabase(let name, let ifExists):
            try engine.dropDatabase(name, ifExists: ifExists)
            logger?.notice("database dropped", metadata: ["database": "\(name)", "user": "\(session.user)"])
        case .createTable(let name, let definition, let ifNotExists):
            do {
                try engine.createTable(database: try Self.database(name, session), definition, ifNotExists: ifNotExists)
            } catch let error as StorageError where error.code == .alreadyExists {
                throw SQLError(.tableExists, error.message)
            }
        case .dropTable(let name, let ifExists):
            let database = try Self.database(name, session)
            try engine.dropTable(database: database, name: name.name, ifExists: ifExists)
            logger?.notice(
                "table dropped", metadata: ["table": "\(database).\(name.name)", "user": "\(session.user)"])
        case .truncateTable(let name):
            let database = try Self.database(name, session)
            try engine.truncateTable(database: database, name: name.name)
            logger?.notice(
                "table truncated", metadata: ["table": "\(database).\(name.name)", "user": "\(session.user)"])
        case .addPartitions(let name, let partitions, let buckets):
            try engine.addPartitions(
                database: try Self.database(name, session), table: name.name, partitions, buckets: buckets)
        case .dropPartition(let name, let partition, let ifExists):
            try engine.dropPartition(
                database: try Self.database(name, session), table: name.name, partition: partition, ifExists: ifExists)
        case .showDatabases, .showTables, .describe, .describeAll, .showCreateTable, .showPartitions, .showTablet,
            .showTransactions, .showColumns, .showTableStatus, .showIndex:
            return .rows(
                RowCursor(
                    try ShowExecution(engine: engine, session: session, authorizer: authorizer).run(statement),
                    statistics: .init()))
        case .insert(var insert):
            switch insert.source {
            case .values(let rows): insert.source = .values(try rows.map { try $0.map(folding.fold) })
            case .select(let select): insert.source = .select(try folding.fold(select))
            }
            return .ok(
                Self.dml(
                    try InsertExecution(
                        engine: engine, transactions: transactions, session: session, errorLogURL: errorLogURL
                    ).run(insert)))
        case .delete(let delete):
            return .ok(
                Self.dml(
                    try DMLExecution(engine: engine, transactions: transactions, session: session).delete(delete)))
        case .update(let update):
            return .ok(
                Self.dml(
                    try DMLExecution(engine: engine, transactions: transactions, session: session).update(update)))
        case .select(let select):
            return .rows(
                try QueryExecution(engine: engine, session: session, catalog: catalog(authorizer)).open(
                    try folding.fold(select)))
        case .routineLoad(let statement):
            guard let routineLoad else { throw SQLError(.analysis, "Routine Load is not available in this process") }
            switch try RoutineLoadExecution(manager: routineLoad, session: session, authorizer: authorizer).run(
                statement)
            {
            case .ok(let statistics): return .ok(statistics)
            case .rows(let result, let statistics): return .rows(RowCursor(result, statistics: statistics))
            }
        case .file(let statement):
            let execution = FileExecution(
                engine: engine, session: session, authorizer: authorizer, download: downloadFile)
            if let result = try execution.run(statement) { return .rows(RowCursor(result, statistics: .init())) }
            return .ok(.init())
        case .describeFiles(let properties):
            let function = try FilesFunction(properties, fileSystem: engine.fileSystem, timeZone: session.timeZone)
            let schema = try function.schema(of: try function.files())
            return .rows(
                RowCursor(
                    ResultSet.strings(["Field", "Type", "Null"], schema.map { [$0.name, $0.type.sqlName, "YES"] }),
                    statistics: .init()))
        case .createTableAs(let name, let select, let properties, let ifNotExists):
            return .ok(
                try createTableAs(name, select, properties: properties, ifNotExists: ifNotExists, session: session))
        case .pipe(let statement):
            let execution = PipeExecution(engine: engine, manager: pipes, session: session, authorizer: authorizer)
            if let result = try execution.run(statement) { return .rows(RowCursor(result, statistics: .init())) }
            return .ok(.init())
        case .brokerLoad(let statement):
            let execution = BrokerLoadExecution(
                engine: engine, manager: brokerLoad, session: session, authorizer: authorizer, errorLogURL: errorLogURL)
            if let result = try execution.run(statement) { return .rows(RowCursor(result, statistics: .init())) }
            return .ok(.init())
        case .access(let statement):
            let execution = AccessExecution(engine: engine, authorizer: authorizer, logger: logger)
            if let result = try execution.run(statement, session: &session) {
                return .rows(RowCursor(result, statistics: .init()))
            }
        case .set, .setIgnored, .use, .transactionControl, .showVariables, .showServer, .showProcesslist, .kill:
            let execution = SessionExecution(engine: engine, globals: globals, authorizer: authorizer)
            if let result = try execution.run(statement, session: &session) {
                return .rows(RowCursor(result, statistics: .init()))
            }
        }
        return .ok(QueryStatistics())
    }

    /// CREATE TABLE … AS SELECT: a DUPLICATE KEY table of the query's columns (first column the
    /// key, hashed into buckets), filled by an INSERT of the query. The table is dropped again when
    /// the INSERT fails, so a failed statement leaves nothing behind.
    func createTableAs(
        _ name: QualifiedName, _ select: SelectStatement, properties: [String: String], ifNotExists: Bool,
        session: Session
    ) throws -> QueryStatistics {
        let database = try Self.database(name, session)
        if ifNotExists, (try? engine.table(database: database, name: name.name)) != nil { return QueryStatistics() }
        let folding = SessionFunctions(session: session, globals: globals)
        let folded = try folding.fold(select)
        let cursor = try QueryExecution(
            engine: engine, session: session,
            catalog: catalog(Authorizer(access: engine.access, session: session))
        ).open(folded)
        // The query runs once: its cursor gives the column types, then the rows.
        defer { cursor.close() }
        let columns = cursor.columns
        guard let first = columns.first else { throw SQLError(.analysis, "CREATE TABLE AS SELECT needs columns") }
        let schema = columns.enumerated().map { index, column in
            ColumnSchema(id: index, name: column.name, type: Self.storedType(column.type), isNullable: true)
        }
        var definition = TableDefinition(
            name: name.name, columns: schema, keysType: .duplicate, keyColumns: [first.name],
            distribution: Distribution(columns: [first.name], buckets: 2), properties: properties)
        definition.distributionGiven = false
        do {
            try engine.createTable(database: database, definition, ifNotExists: false)
        } catch let error as StorageError where error.code == .alreadyExists {
            throw SQLError(.tableExists, error.message)
        }
        do {
            let insert = InsertStatement(table: name, label: nil, columns: nil, source: .select(folded))
            return Self.dml(
                try InsertExecution(
                    engine: engine, transactions: transactions, session: session, errorLogURL: errorLogURL
                ).run(insert, rows: cursor))
        } catch {
            try? engine.dropTable(database: database, name: name.name, ifExists: true)
            throw error
        }
    }

    /// The column type a table stores for a query column's type: inferred unbounded strings
    /// become the longest VARCHAR.
    static func storedType(_ type: ColumnType) -> ColumnType {
        if case .varchar(let length) = type, length > 1_048_576 { return .varchar(length: 1_048_576) }
        return type
    }

    static func dml(_ outcome: DMLOutcome) -> QueryStatistics {
        var statistics = QueryStatistics()
        statistics.affectedRows = outcome.rows
        statistics.dml = outcome
        return statistics
    }

    /// The database of `name`, or the session's.
    static func database(_ name: QualifiedName, _ session: Session) throws -> String {
        guard let db = name.database ?? session.database else {
            throw SQLError(.noDatabase, "No database selected: qualify '\(name.name)' as db.\(name.name)")
        }
        return db
    }
}
