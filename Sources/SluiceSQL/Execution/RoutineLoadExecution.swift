import SluiceFormat
import SluiceRoutineLoad
import SluiceStorage

/// Runs Routine Load statements against the daemon's job manager.
struct RoutineLoadExecution {
    let manager: RoutineLoadManager
    let session: Session
    /// Changing a job takes INSERT on its table; SHOW lists the jobs on tables the user sees.
    let authorizer: Authorizer

    func run(_ statement: RoutineLoadStatement) throws -> StatementResult {
        do {
            switch statement {
            case .create(let job, let table, let clauses, let properties, let source):
                try manager.create(
                    CreateRoutineLoad(
                        database: try database(job), name: job.name, table: table, clauses: clauses,
                        properties: properties, source: source, owner: session.identity))
            case .alter(let job, let clauses, let properties, let source):
                try requireInsert(job)
                try manager.alter(
                    AlterRoutineLoad(
                        database: try database(job), name: job.name, clauses: clauses, properties: properties,
                        source: source))
            case .pause(let job):
                try requireInsert(job)
                try manager.pause(database: try database(job), name: job.name, user: session.user)
            case .resume(let job):
                try requireInsert(job)
                try manager.resume(database: try database(job), name: job.name)
            case .stop(let job):
                try requireInsert(job)
                try manager.stop(database: try database(job), name: job.name, user: session.user)
            case .show(let job, let db, let all, let state, let orderBy, let descending, let limit, let offset):
                let database = job?.database ?? db ?? session.database
                var rows = try manager.show(
                    database: database, name: job?.name, includeHistory: all || state != nil,
                    errorLogBase: "http://\(session.address ?? "127.0.0.1:8030")")
                let columns = RoutineLoadManager.showColumns
                rows = rows.filter(visible)
                if let state, let index = columns.firstIndex(of: "State") { rows = rows.filter { $0[index] == state } }
                if let orderBy {
                    guard let index = columns.firstIndex(where: { $0.lowercased() == orderBy.lowercased() }) else {
                        throw SQLError(.analysis, "Unknown column '\(orderBy)' in ORDER BY of SHOW ROUTINE LOAD")
                    }
                    let numeric = ["Id", "CurrentTaskNum"].contains(columns[index])
                    rows.sort { a, b in
                        let x = a[index] ?? "", y = b[index] ?? ""
                        let less = numeric ? (Int64(x) ?? 0) < (Int64(y) ?? 0) : x < y
                        return descending ? !less && x != y : less
                    }
                }
                rows = Array(rows.dropFirst(offset).prefix(limit ?? Int.max))
                return .rows(ResultSet.strings(columns, rows), QueryStatistics())
            case .showTasks(let db, let job):
                try requireVisible(QualifiedName(database: db, name: job))
                let rows = try manager.showTasks(database: db ?? session.database, name: job)
                return .rows(ResultSet.strings(RoutineLoadManager.taskColumns, rows), QueryStatistics())
            case .showCreate(let job):
                try requireVisible(job)
                let text = try manager.createStatement(database: try database(job), name: job.name)
                return .rows(ResultSet.strings(["Job", "Create Job"], [[job.name, text]]), QueryStatistics())
            }
        } catch let error as RoutineLoadError {
            throw Self.translate(error)
        }
        return .ok(QueryStatistics())
    }

    static func translate(_ error: RoutineLoadError) -> SQLError {
        switch error.code {
        case .notFound: SQLError(.notFound, error.message)
        case .alreadyExists: SQLError(.alreadyExists, error.message)
        case .storage, .source: SQLError(.internalError, error.message)
        default: SQLError(.analysis, error.message)
        }
    }

    private func database(_ name: QualifiedName) throws -> String { try SQLExecutor.database(name, session) }

    /// INSERT on the table of job `name` (StarRocks: every Routine Load statement needs it).
    private func requireInsert(_ name: QualifiedName) throws { try require(.privilege(.insert), onTableOf: name) }

    /// Some privilege on the table of job `name`.
    private func requireVisible(_ name: QualifiedName) throws { try require(.any, onTableOf: name) }

    private func require(_ requirement: AccessRequirement, onTableOf name: QualifiedName) throws {
        let db = try database(name)
        guard let table = try manager.table(database: db, name: name.name) else { return }
        try authorizer.require(requirement, on: .table(database: db, name: table))
    }

    /// Whether a SHOW ROUTINE LOAD row is about a table the user sees.
    private func visible(_ row: [String?]) -> Bool {
        let columns = RoutineLoadManager.showColumns
        guard let dbIndex = columns.firstIndex(of: "DbName"), let tableIndex = columns.firstIndex(of: "TableName"),
            let db = row[dbIndex], let table = row[tableIndex]
        else { return true }
        return authorizer.sees(database: db, table: table)
    }
}
