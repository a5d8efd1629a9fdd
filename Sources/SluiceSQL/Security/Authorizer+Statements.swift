import Foundation
import SluiceFiles
import SluiceStorage

/// Which privilege each statement needs, as StarRocks asks for it: CREATE DATABASE on the
/// catalog, CREATE TABLE / DROP on the database, INSERT / DELETE / UPDATE / SELECT / ALTER / DROP
/// on the table, ANY on a table to read its shape, OPERATE on the system for server-wide changes.
/// Statements on users and roles, Routine Load jobs and SHOW lists check or filter where they run
/// (they need the job's table or the rows first).
extension Authorizer {
    func check(_ statement: Statement, session: Session) throws {
        switch statement {
        case .createDatabase:
            try require(.createDatabase, on: .catalog)
        case .dropDatabase(let name, _):
            try require(.drop, on: .database(name))
        case .createTable(let name, _, _):
            try require(.createTable, on: .database(try SQLExecutor.database(name, session)))
        case .dropTable(let name, _):
            try requireOnTable(.privilege(.drop), name, session)
        case .truncateTable(let name):
            try requireOnTable(.privilege(.delete), name, session)
        case .addPartitions(let name, _, _), .dropPartition(let name, _, _):
            try requireOnTable(.privilege(.alter), name, session)
        case .describe(let name), .describeAll(let name), .showColumns(let name, _, _), .showIndex(let name),
            .showCreateTable(let name), .showPartitions(let name), .showTablet(let name):
            try requireOnTable(.any, name, session)
        case .showTransactions(let database, _):
            if let db = database ?? session.database, !sees(database: db) {
                try require(.any, on: .database(db))
            }
        case .insert(let insert):
            try requireOnTable(.privilege(.insert), insert.table, session)
            if case .select(let select) = insert.source { try checkSelect(select, session) }
        case .delete(let delete):
            try requireOnTable(.privilege(.delete), delete.table, session)
        case .update(let update):
            try requireOnTable(.privilege(.update), update.table, session)
        case .select(let select):
            try checkSelect(select, session)
        case .createTableAs(let name, let select, _, _):
            try require(.createTable, on: .database(try SQLExecutor.database(name, session)))
            try checkSelect(select, session)
        case .describeFiles(let properties):
            try checkFiles(properties)
        case .pipe(.create(_, _, _, _, let insert, _)):
            try requireOnTable(.privilege(.insert), insert.table, session)
            if case .select(let select) = insert.source { try checkSelect(select, session) }
        case .brokerLoad(.load(let label, let descriptions, _, _)):
            let database = try SQLExecutor.database(label, session)
            for description in descriptions {
                try require(.insert, on: .table(database: database, name: description.table))
            }
            try checkLocalPaths(descriptions.flatMap(\.paths))
        case .routineLoad(.create(let job, let table, _, _, _)):
            try require(.insert, on: .table(database: try SQLExecutor.database(job, session), name: table))
        case .set(let assignments):
            if assignments.contains(where: { if case .system(_, true) = $0.target { true } else { false } }) {
                try require(.operate, on: .system)
            }
        case .showServer(.frontendConfig, _):
            try require(.operate, on: .system)
        default:
            break
        }
    }

    private func checkSelect(_ select: SelectStatement, _ session: Session) throws {
        if case .table(let name, _) = select.source { try requireOnTable(.privilege(.select), name, session) }
        if case .files(let properties, _) = select.source { try checkFiles(properties) }
    }

    /// Reading the server's own files (FILES() or a load of `file://` paths) needs the FILE
    /// privilege, as CREATE FILE does; S3 paths carry their own credentials.
    func checkFiles(_ properties: [String: String]) throws {
        let path = properties.first { $0.key.lowercased() == "path" }?.value ?? ""
        try checkLocalPaths(path.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    func checkLocalPaths(_ paths: [String]) throws {
        if paths.contains(where: { !S3Location.isS3($0) }) { try require(.file, on: .system) }
    }

    /// `requirement` on a table (tables of `information_schema` are everyone's).
    private func requireOnTable(_ requirement: AccessRequirement, _ name: QualifiedName, _ session: Session) throws {
        let database = try SQLExecutor.database(name, session)
        guard !SystemCatalog.isSystemDatabase(database) else { return }
        try require(requirement, on: .table(database: database, name: name.name))
    }
}
