import SluiceFiles
import SluiceFormat
import SluiceRoutineLoad
import SluiceStorage

/// A read-only table computed from the process's state when a query reads it
/// (`information_schema`). Queries filter, sort and aggregate it like any table.
struct SystemTable: Sendable {
    /// Lower-case name (`tables`, `columns`); lookups ignore case.
    let name: String
    let columns: [ResultColumn]
    let rows: @Sendable (SystemCatalog, Session) throws -> [[Value]]

    init(
        _ name: String, _ columns: [SystemColumn],
        rows: @escaping @Sendable (SystemCatalog, Session) throws -> [[Value]]
    ) {
        self.name = name
        self.columns = columns.map { ResultColumn(name: $0.name, type: $0.type) }
        self.rows = rows
    }

    /// A table no object of Sluice populates (constraints, routines, …): its columns, no rows.
    static func empty(_ name: String, _ columns: [SystemColumn]) -> SystemTable {
        SystemTable(name, columns) { _, _ in [] }
    }
}

/// A column of a system table: its upper-case name and type.
struct SystemColumn: Sendable {
    var name: String
    var type: ColumnType

    static func text(_ name: String) -> SystemColumn { SystemColumn(name: name, type: .varchar(length: 2048)) }
    static func number(_ name: String) -> SystemColumn { SystemColumn(name: name, type: .bigint) }
    static func time(_ name: String) -> SystemColumn { SystemColumn(name: name, type: .datetime) }
}

/// The `information_schema` database: what it holds and the state its tables read.
package struct SystemCatalog: Sendable {
    package static let schemaName = "information_schema"

    let engine: StorageEngine
    let globals: GlobalVariables
    let routineLoad: RoutineLoadManager?
    /// Pipes (`information_schema.pipes`, `pipe_files`); nil where none run.
    var pipes: PipeManager? = nil
    /// Broker Load jobs (`information_schema.loads`); nil where none run.
    var brokerLoad: BrokerLoadManager? = nil
    /// What the session may see: rows about databases and tables it holds no privilege on are
    /// left out of every system table.
    let authorizer: Authorizer

    /// Whether `name` names the system database (any case, as StarRocks).
    package static func isSystemDatabase(_ name: String) -> Bool { name.lowercased() == schemaName }

    /// The system table `name` (any case), or nil.
    static func table(_ name: String) -> SystemTable? {
        InformationSchema.byName[name.lowercased()]
    }

    /// The system tables' names, sorted.
    static var tableNames: [String] { InformationSchema.tables.map(\.name).sorted() }

    /// `table`'s rows as `session` sees them, in one batch.
    func read(_ table: SystemTable, session: Session) throws -> ResultSet {
        ResultSet.table(table.columns.map { ($0.name, $0.type) }, visible(try table.rows(self, session), of: table))
    }

    /// The rows of `table` that name only databases and tables the session may see (by the
    /// schema and table name columns StarRocks' views use).
    private func visible(_ rows: [[Value]], of table: SystemTable) -> [[Value]] {
        let names = table.columns.map(\.name)
        guard let schema = names.firstIndex(where: { Self.schemaColumns.contains($0) }) else { return rows }
        let tableColumn = names.firstIndex(of: "TABLE_NAME")
        return rows.filter { row in
            guard let database = row[schema].stringValue else { return true }
            if let tableColumn, let name = row[tableColumn].stringValue, !name.isEmpty {
                return authorizer.sees(database: database, table: name)
            }
            return authorizer.sees(database: database)
        }
    }

    private static let schemaColumns: Set<String> = ["TABLE_SCHEMA", "SCHEMA_NAME", "DB_NAME", "DATABASE_NAME"]
}

/// Cell constructors for system table rows.
extension Value {
    static func text(_ s: String?) -> Value { s.map(Value.string) ?? .null }
    static func number(_ n: Int?) -> Value { n.map { .int(Int64($0)) } ?? .null }
    static func number(_ n: Int64?) -> Value { n.map(Value.int) ?? .null }
}
