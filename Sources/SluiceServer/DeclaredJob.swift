import SluiceRoutineLoad
import SluiceSQL

/// A `routine_load.jobs` entry: a database-qualified CREATE ROUTINE LOAD statement, not checked
/// against the brokers (the daemon starts while Kafka is down; the job then reports its silent
/// source; settings librdkafka refuses still fail when the job is created).
enum DeclaredJob {
    /// The statement `sql` declares.
    /// - Throws: ``DeclaredJobError`` naming what is wrong with the entry.
    static func parse(_ sql: String) throws -> CreateRoutineLoad {
        guard
            case .routineLoad(.create(let job, let table, let clauses, let properties, let source)) =
                try SQLParser.parse(sql)
        else {
            throw DeclaredJobError("routine_load.jobs entries must be CREATE ROUTINE LOAD statements: \(sql)")
        }
        guard let database = job.database else {
            throw DeclaredJobError("routine_load.jobs: qualify the job \(job.name) as db.job")
        }
        return CreateRoutineLoad(
            database: database, name: job.name, table: table, clauses: clauses, properties: properties,
            source: source, checkSource: false)
    }
}

struct DeclaredJobError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
