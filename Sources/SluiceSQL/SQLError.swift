/// A statement that cannot run: bad syntax, unknown objects, type errors or engine failures.
///
/// The HTTP layer maps ``Code`` to a status: syntax/analysis/notFound → 4xx, internal → 5xx.
package struct SQLError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case syntax, analysis, notFound, alreadyExists, dataQuality, internalError, timeout, cancelled, memoryLimit
            case unknownDatabase, unknownTable, unknownColumn, databaseExists, tableExists, labelExists, noDatabase
            case unknownVariable, readOnlyVariable, wrongValue, emptyQuery, killed, unsupported, unknownThread
            case accessDenied, userOperationFailed, tooLong, filesNotFound
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        package static let syntax = Code(.syntax)
        /// Semantic errors: unknown column, type mismatch, misuse of aggregates.
        package static let analysis = Code(.analysis)
        package static let notFound = Code(.notFound)
        package static let alreadyExists = Code(.alreadyExists)
        /// INSERT rows that do not fit the table.
        package static let dataQuality = Code(.dataQuality)
        package static let internalError = Code(.internalError)
        /// The statement ran past `query_timeout`.
        package static let timeout = Code(.timeout)
        /// The client went away or the server is stopping.
        package static let cancelled = Code(.cancelled)
        /// The statement needed more memory than `query_mem_limit`.
        package static let memoryLimit = Code(.memoryLimit)
        /// A database that does not exist (`USE nope`, `SELECT … FROM nope.t`).
        package static let unknownDatabase = Code(.unknownDatabase)
        /// A table that does not exist.
        package static let unknownTable = Code(.unknownTable)
        /// A column name that resolves to nothing.
        package static let unknownColumn = Code(.unknownColumn)
        /// CREATE DATABASE of an existing database.
        package static let databaseExists = Code(.databaseExists)
        /// CREATE TABLE of an existing table.
        package static let tableExists = Code(.tableExists)
        /// INSERT … WITH LABEL of a label already used.
        package static let labelExists = Code(.labelExists)
        /// An unqualified table name with no current database.
        package static let noDatabase = Code(.noDatabase)
        /// `SET`/`SELECT @@` of a system variable that does not exist.
        package static let unknownVariable = Code(.unknownVariable)
        /// `SET` of a variable that cannot be changed (or not in that scope).
        package static let readOnlyVariable = Code(.readOnlyVariable)
        /// `SET` of a value the variable does not take.
        package static let wrongValue = Code(.wrongValue)
        /// A query of only whitespace, comments or `;`.
        package static let emptyQuery = Code(.emptyQuery)
        /// The statement was stopped by `KILL QUERY` (or `KILL` of its connection).
        package static let killed = Code(.killed)
        /// A statement this front door or engine does not run.
        package static let unsupported = Code(.unsupported)
        /// `KILL` of a connection id that is not connected.
        package static let unknownThread = Code(.unknownThread)
        /// The user lacks the privilege (StarRocks' ERR 5203 `Access denied; you need …`).
        package static let accessDenied = Code(.accessDenied)
        /// CREATE/DROP USER or ROLE of one that exists / does not (MySQL's ERR 1396).
        package static let userOperationFailed = Code(.userOperationFailed)
        /// The statement text is longer than `sql.max_statement_bytes`.
        package static let tooLong = Code(.tooLong)
        /// FILES() or a file load's path matches nothing (StarRocks' ERR_NO_FILES_FOUND, 5600).
        package static let filesNotFound = Code(.filesNotFound)
        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String
    /// For syntax errors: the UTF-8 offset in the statement where parsing failed.
    package var position: Int?

    package init(_ code: Code, _ message: String, position: Int? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    package var description: String { message }
}
