import Foundation
import SluiceExpr
package import SluiceFiles
import SluiceFormat
import SluiceStorage
import SluiceTxn

/// Runs CREATE / ALTER / DROP PIPE and SHOW PIPES against the process's ``PipeManager``.
struct PipeExecution {
    let engine: StorageEngine
    let manager: PipeManager?
    let session: Session
    let authorizer: Authorizer

    /// SHOW PIPES' columns (the FE metadata builder's order).
    static let columns = [
        "DATABASE_NAME", "PIPE_ID", "PIPE_NAME", "STATE", "TABLE_NAME", "LOAD_STATUS", "LAST_ERROR", "CREATED_TIME",
    ]

    func run(_ statement: PipeStatement) throws -> ResultSet? {
        guard let manager else { throw SQLError(.analysis, "Pipes are not available in this process") }
        switch statement {
        case .create(let name, let orReplace, let ifNotExists, let properties, let insert, let insertSQL):
            let database = try SQLExecutor.database(name, session)
            let tableDatabase = insert.table.database ?? database
            guard tableDatabase.lowercased() == database.lowercased() else {
                throw SQLError(.analysis, "A pipe loads a table of its own database (\(database))")
            }
            _ = try engine.table(database: database, name: insert.table.name)
            guard case .select(let select) = insert.source, case .files(let files, _) = select.source else {
                throw SQLError(.analysis, "A pipe runs INSERT INTO <table> SELECT … FROM FILES(...)")
            }
            // FILES()'s own checks (path, format, properties) before the pipe exists.
            _ = try FilesFunction(files, fileSystem: engine.fileSystem, timeZone: session.timeZone)
            try manager.create(
                database: database, name: name.name, orReplace: orReplace, ifNotExists: ifNotExists,
                table: insert.table.name, insertSQL: insertSQL,
                filesProperties: Dictionary(files.map { ($0.key.lowercased(), $0.value) }) { a, _ in a },
                properties: properties, owner: session.identity.name)
            return nil
        case .alter(let name, let alteration):
            let database = try SQLExecutor.database(name, session)
            try requireOnPipe(database, name.name, manager)
            try manager.alter(database: database, name: name.name, alteration)
            return nil
        case .drop(let name, let ifExists):
            let database = try SQLExecutor.database(name, session)
            try requireOnPipe(database, name.name, manager)
            try manager.drop(database: database, name: name.name, ifExists: ifExists)
            return nil
        case .show(let query):
            return try show(query, manager)
        }
    }

    /// ALTER and DROP need INSERT on the pipe's table.
    private func requireOnPipe(_ database: String, _ name: String, _ manager: PipeManager) throws {
        if let pipe = manager.pipes(database: database).first(where: { $0.name == name }) {
            try authorizer.require(.insert, on: .table(database: pipe.database, name: pipe.table))
        }
    }

    private func show(_ query: ShowPipesQuery, _ manager: PipeManager) throws -> ResultSet {
        guard let database = query.database ?? session.database else {
            throw SQLError(.noDatabase, "No database selected")
        }
        let db = try engine.database(database)
        var rows = [[String?]]()
        for pipe in manager.pipes(database: db.name) where authorizer.sees(database: pipe.database, table: pipe.table) {
            if let name = query.name, pipe.name != name { continue }
            if let pattern = query.namePattern, !Self.like(pipe.name, pattern) { continue }
            if let state = query.state, pipe.state.rawValue != state { continue }
            rows.append(Self.row(pipe, manager: manager, tableName: pipe.table, session: session))
        }
        rows = try query.ordering.apply(to: rows, columns: Self.columns, numericColumn: 1) {
            SQLError(.analysis, "Unknown column '\($0)' in SHOW PIPES")
        }
        return ResultSet.strings(Self.columns, rows)
    }

    /// One pipe as SHOW PIPES prints it (TABLE_NAME as given: `t` here, `db.t` in information_schema).
    static func row(_ pipe: LoadPipe, manager: PipeManager, tableName: String, session: Session) -> [String?] {
        [
            pipe.database, String(pipe.id), pipe.name, pipe.state.rawValue, tableName,
            loadStatus(pipe, loading: manager.loadingCount(pipeID: pipe.id), session: session),
            pipe.lastError.map { lastError($0, session: session) }, time(pipe.createdTime, session),
        ]
    }

    /// `{"loadedFiles":…,"loadedBytes":…,"loadingFiles":…,"lastLoadedTime":"…"}`.
    static func loadStatus(_ pipe: LoadPipe, loading: Int, session: Session) -> String {
        let last = pipe.lastLoadedTime.map { "\"\(time($0, session))\"" } ?? "null"
        return "{\"loadedFiles\":\(pipe.loadedFiles),\"loadedBytes\":\(pipe.loadedBytes),\"loadingFiles\":\(loading),"
            + "\"lastLoadedTime\":\(last)}"
    }

    static func lastError(_ error: PipeLastError, session: Session) -> String {
        "{\"errorMessage\":\(JSONEscaping.quoted(error.message)),\"errorTime\":\"\(time(error.time, session))\"}"
    }

    static func time(_ seconds: Int64, _ session: Session) -> String {
        CivilTime.formatDateTime(session.timeZone.toLocal(utcMicros: seconds * CivilTime.microsPerSecond))
    }

    /// SQL `LIKE` with `%` and `_`, ignoring case.
    static func like(_ text: String, _ pattern: String) -> Bool {
        PatternMatching.matches(Array(text.lowercased().utf8), Array(pattern.lowercased().utf8))
    }
}

/// Runs a pipe's task: the pipe's INSERT with FILES()'s `path` replaced by the piece's files,
/// under the task's label, as the pipe's owner.
package struct SQLPipeTaskRunner: PipeTaskRunner {
    let executor: SQLExecutor

    package init(executor: SQLExecutor) { self.executor = executor }

    package func run(_ pipe: LoadPipe, files: [String], label: String) throws(PipeTaskError) -> Int {
        do {
            guard
                case .pipe(.create(_, _, _, _, var insert, _)) = try SQLParser.parse(
                    "CREATE PIPE p AS \(pipe.insertSQL)")
            else { throw PipeTaskError(.failed, "the pipe's INSERT no longer parses") }
            guard case .select(var select) = insert.source, case .files(var properties, let alias) = select.source
            else { throw PipeTaskError(.failed, "the pipe's INSERT reads no FILES()") }
            for key in properties.keys where key.lowercased() == "path" { properties[key] = nil }
            properties["path"] = files.joined(separator: ",")
            select.source = .files(properties, alias: alias)
            insert.source = .select(select)
            insert.label = label
            var session = Session(database: pipe.database, nowMicros: Int64(Date().timeIntervalSince1970 * 1_000_000))
            session.identity = UserIdentity(pipe.owner)
            session.activeRoles = executor.engine.access.users[session.identity]?.defaultRoles ?? []
            for (name, value) in pipe.properties.taskSettings {
                _ = try? executor.execute(
                    "SET \(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'", session: &session)
            }
            let outcome = try InsertExecution(
                engine: executor.engine, transactions: executor.transactions, session: session,
                errorLogURL: executor.errorLogURL
            )
            .run(insert)
            return outcome.rows
        } catch let error as PipeTaskError {
            throw error
        } catch let error as SQLError where error.code == .labelExists {
            throw PipeTaskError(.labelAlreadyUsed, error.message)
        } catch let error as TransactionError where error.code == .labelAlreadyExists {
            throw PipeTaskError(.labelAlreadyUsed, error.message)
        } catch {
            throw PipeTaskError(.failed, SQLExecutor.translate(error).message)
        }
    }
}
