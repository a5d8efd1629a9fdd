import SluiceExpr
import SluiceFormat
import SluiceStorage

/// SHOW DATABASES / TABLES / CREATE TABLE / PARTITIONS / TABLET and DESC.
struct ShowExecution {
    let engine: StorageEngine
    let session: Session
    /// Databases and tables the session holds no privilege on are not listed.
    let authorizer: Authorizer

    func run(_ statement: Statement) throws -> ResultSet {
        switch statement {
        case .showDatabases(let filter):
            let names = (engine.databaseNames() + [SystemCatalog.schemaName]).filter(authorizer.sees).sorted()
            return try text(["Database"], names.map { [$0] }).filtered(filter, session)
        case .showTables(let database, let full, let filter):
            guard let db = database ?? session.database else { throw SQLError(.noDatabase, "No database selected") }
            var (name, tables, type) = (SystemCatalog.schemaName, SystemCatalog.tableNames, "SYSTEM VIEW")
            if !SystemCatalog.isSystemDatabase(db) {
                let meta = try engine.database(db)
                let visible = meta.tables.values.map(\.name).filter { authorizer.sees(database: db, table: $0) }
                (name, tables, type) = (meta.name, visible.sorted(), "BASE TABLE")
            }
            if full {
                return try text(["Tables_in_\(name)", "Table_type"], tables.map { [$0, type] }).filtered(
                    filter, session)
            }
            return try text(["Tables_in_\(name)"], tables.map { [$0] }).filtered(filter, session)
        case .describe(let name):
            let rows = try columns(name).map { c -> [String?] in
                [
                    c.name, c.type.describeName, c.isNullable ? "YES" : "NO", c.isKey ? "true" : "false",
                    c.defaultValue, "",
                ]
            }
            return text(["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
        case .showColumns(let name, let full, let filter):
            let table = try? lookup(name)
            let rows = try columns(name).map { c -> [String?] in
                let extra = table.map { Self.aggregateShown(c, $0.keysType) } ?? ""
                return full
                    ? [
                        c.name, c.type.describeName, "", c.isNullable ? "YES" : "NO", c.isKey ? "YES" : "NO",
                        c.defaultValue, extra, "", c.comment,
                    ]
                    : [
                        c.name, c.type.describeName, c.isNullable ? "YES" : "NO", c.isKey ? "YES" : "NO",
                        c.defaultValue, extra,
                    ]
            }
            let names =
                full
                ? ["Field", "Type", "Collation", "Null", "Key", "Default", "Extra", "Privileges", "Comment"]
                : ["Field", "Type", "Null", "Key", "Default", "Extra"]
            return try text(names, rows).filtered(filter, session)
        case .showTableStatus(let database, let filter):
            return try tableStatus(database, filter)
        case .showIndex(let name):
            _ = try columns(name)
            return text(
                [
                    "Table", "Non_unique", "Key_name", "Seq_in_index", "Column_name", "Collation", "Cardinality",
                    "Sub_part", "Packed", "Null", "Index_type", "Comment",
                ], [])
        case .describeAll(let name):
            // One index (the base table): its name and keys type on the first row; Extra names each
            // value column's aggregate.
            let table = try lookup(name)
            let rows = table.schema.columns.enumerated().map { i, c -> [String?] in
                [
                    i == 0 ? table.name : "", i == 0 ? table.keysType.internalName : "", c.name, c.type.describeName,
                    c.isNullable ? "YES" : "NO", c.isKey ? "true" : "false", c.defaultValue,
                    Self.aggregateShown(c, table.keysType),
                ]
            }
            return text(["IndexName", "IndexKeysType", "Field", "Type", "Null", "Key", "Default", "Extra"], rows)
        case .showCreateTable(let name):
            let table = try lookup(name)
            return text(["Table", "Create Table"], [[table.name, createStatement(table)]])
        case .showPartitions(let name):
            let table = try lookup(name)
            let key = table.partitioning.column ?? ""
            let rows = table.partitions.map { p -> [String?] in
                let type = key.isEmpty ? ColumnType.bigint : (table.schema[key]?.type ?? .bigint)
                let range = "[\(bound(p.lower, type) ?? "MIN"), \(bound(p.upper, type) ?? "MAX"))"
                return [
                    String(p.id), p.name, String(p.visibleVersion), "NORMAL", key, key.isEmpty ? "" : range,
                    table.distribution.columns.joined(separator: ", "), String(p.tablets.count), String(p.rowCount),
                    String(p.tablets.reduce(0) { $0 + $1.byteCount }),
                ]
            }
            return text(
                [
                    "PartitionId", "PartitionName", "VisibleVersion", "State", "PartitionKey", "Range",
                    "DistributionKey", "Buckets", "RowCount", "DataSize",
                ], rows)
        case .showTablet(let name):
            let table = try lookup(name)
            var rows = [[String?]]()
            for p in table.partitions {
                for t in p.tablets {
                    rows.append([
                        String(t.id), p.name, String(t.bucket), String(t.rowsets.map(\.endVersion).max() ?? 1),
                        String(t.rowsets.count), String(t.versionCount), String(t.rowCount), String(t.byteCount),
                    ])
                }
            }
            return text(
                [
                    "TabletId", "PartitionName", "Bucket", "Version", "RowsetCount", "VersionCount", "RowCount",
                    "DataSize",
                ], rows)
        case .showTransactions(let database, let filter):
            return try transactions(database, filter)
        default:
            throw SQLError(.internalError, "not a SHOW statement")
        }
    }

    /// Committed (VISIBLE) and PREPARED transactions the journal remembers, newest first.
    private func transactions(_ database: String?, _ filter: TransactionFilter?) throws -> ResultSet {
        guard let name = database ?? session.database else { throw SQLError(.noDatabase, "No database selected") }
        let db = try engine.database(name)
        let meta = engine.metaState
        var rows = [(id: Int64, label: String, state: String, table: Int64, time: Int64, attachment: [UInt8]?)]()
        for (label, entry) in meta.labels[db.id] ?? [:] {
            rows.append((entry.transactionID, label, "VISIBLE", entry.tableID, entry.commitTime, entry.attachment))
        }
        for prepared in meta.prepared.values where prepared.databaseID == db.id {
            rows.append(
                (
                    prepared.transactionID, prepared.label, "PREPARED", prepared.tableID, prepared.preparedTime,
                    prepared.attachment
                ))
        }
        rows = rows.filter { row in
            switch filter {
            case nil: true
            case .label(let l): row.label == l
            case .labelLike(let pattern): Self.like(row.label, pattern)
            case .id(let id): row.id == id
            }
        }
        rows.sort { $0.id > $1.id }
        func time(_ seconds: Int64) -> String { CivilTime.formatDateTime(seconds * CivilTime.microsPerSecond) }
        func tableName(_ id: Int64) -> String { db.tables[id]?.name ?? String(id) }
        return text(
            ["TransactionId", "Label", "TransactionStatus", "TableName", "CommitTime", "Attachment"],
            rows.map { r in
                [
                    String(r.id), r.label, r.state, tableName(r.table), r.state == "VISIBLE" ? time(r.time) : nil,
                    r.attachment.map { String(decoding: $0, as: UTF8.self) },
                ]
            })
    }

    static func like(_ text: String, _ pattern: String) -> Bool {
        if pattern.hasSuffix("%"), !pattern.dropLast().contains("%") { return text.hasPrefix(pattern.dropLast()) }
        return text == pattern
    }

    /// The aggregate `DESC ALL` and `SHOW FULL COLUMNS` print in Extra: the declared one on
    /// AGGREGATE KEY tables, REPLACE for UNIQUE KEY value columns; none on PRIMARY KEY tables
    /// (StarRocks hides their implicit REPLACE) and DUPLICATE KEY tables.
    static func aggregateShown(_ column: ColumnSchema, _ keys: KeysType) -> String {
        switch keys {
        case .primary, .duplicate: ""
        case .unique: column.isKey ? "" : "REPLACE"
        case .aggregate: column.aggregate?.rawValue ?? ""
        }
    }

    /// The columns of a table or of an `information_schema` table.
    private func columns(_ name: QualifiedName) throws -> [ColumnSchema] {
        if let db = name.database ?? session.database, SystemCatalog.isSystemDatabase(db) {
            guard let system = SystemCatalog.table(name.name) else {
                throw SQLError(.unknownTable, "Unknown table '\(SystemCatalog.schemaName).\(name.name)'")
            }
            return system.columns.enumerated().map { ColumnSchema(id: $0, name: $1.name, type: $1.type) }
        }
        return try lookup(name).schema.columns
    }

    /// SHOW TABLE STATUS: MySQL's 18 columns per table.
    private func tableStatus(_ database: String?, _ filter: ShowFilter?) throws -> ResultSet {
        guard let name = database ?? session.database else { throw SQLError(.noDatabase, "No database selected") }
        let columns: [(String, ColumnType)] = [
            ("Name", .string), ("Engine", .string), ("Version", .bigint), ("Row_format", .string), ("Rows", .bigint),
            ("Avg_row_length", .bigint), ("Data_length", .bigint), ("Max_data_length", .bigint),
            ("Index_length", .bigint), ("Data_free", .bigint), ("Auto_increment", .bigint), ("Create_time", .datetime),
            ("Update_time", .datetime), ("Check_time", .datetime), ("Collation", .string), ("Checksum", .bigint),
            ("Create_options", .string), ("Comment", .string),
        ]
        if SystemCatalog.isSystemDatabase(name) {
            let rows = SystemCatalog.tableNames.map { table -> [Value] in
                [.text(table), .text("MEMORY"), .number(10), .text("Fixed")] + Array(repeating: .null, count: 10)
                    + [.text(InformationSchema.defaultCollation), .null, .text(""), .text("")]
            }
            return try ResultSet.table(columns, rows).filtered(filter, session)
        }
        let db = try engine.database(name)
        let visible = db.tables.values.filter { authorizer.sees(database: name, table: $0.name) }
        let rows = visible.sorted { $0.name < $1.name }.map { table -> [Value] in
            let bytes = table.byteCount
            let count = table.rowCount
            return [
                .text(table.name), .text("StarRocks"), .null, .null, .number(count),
                .number(count == 0 ? 0 : bytes / count), .number(bytes), .number(0), .number(0), .null, .null,
                InformationSchema.time(table.createTime, session), .null, .null,
                .text(InformationSchema.defaultCollation), .null, .text(""), .text(table.properties["comment"] ?? ""),
            ]
        }
        return try ResultSet.table(columns, rows).filtered(filter, session)
    }

    private func lookup(_ name: QualifiedName) throws -> TableMeta {
        guard let db = name.database ?? session.database else {
            throw SQLError(.noDatabase, "No database selected: qualify '\(name.name)' as db.\(name.name)")
        }
        return try engine.table(database: db, name: name.name)
    }

    private func bound(_ value: Value?, _ type: ColumnType) -> String? {
        value.flatMap { $0.text(as: type) }
    }

    private func text(_ names: [String], _ rows: [[String?]]) -> ResultSet { ResultSet.strings(names, rows) }

    func createStatement(_ table: TableMeta) -> String {
        var lines = [String]()
        func names(_ columns: [String]) -> String { columns.map { "`\($0)`" }.joined(separator: ", ") }
        for c in table.schema.columns {
            // The aggregate shows only where it was declared (AGGREGATE KEY tables); PRIMARY and
            // UNIQUE value columns are REPLACE implicitly, which StarRocks does not print.
            var line = "  `\(c.name)` \(c.type.sqlName)"
            if let aggregate = c.aggregate { line += " \(aggregate.rawValue)" }
            line += c.isNullable ? " NULL" : " NOT NULL"
            if let d = c.defaultValue {
                line += d == "CURRENT_TIMESTAMP" ? " DEFAULT CURRENT_TIMESTAMP" : " DEFAULT \"\(d)\""
            }
            line += " COMMENT \"\(c.comment)\""
            lines.append(line)
        }
        // StarRocks' shape, trailing spaces included (tools diff and parse it).
        var sql = "CREATE TABLE `\(table.name)` (\n" + lines.joined(separator: ",\n") + "\n) ENGINE=OLAP \n"
        sql += "\(table.keysType.sqlName)(\(names(table.keyColumns)))\n"
        switch table.partitioning {
        case .none: break
        case .dateTrunc(let unit, let column): sql += "PARTITION BY date_trunc('\(unit.rawValue)', `\(column)`)\n"
        case .range(let column):
            let type = table.schema[column]?.type ?? .bigint
            let parts = table.partitions.map { p in
                "PARTITION \(p.name) VALUES [(\"\(bound(p.lower, type) ?? "MINVALUE")\"), (\(p.upper == nil ? "MAXVALUE" : "\"\(bound(p.upper, type)!)\"")))"
            }
            sql += "PARTITION BY RANGE(`\(column)`)\n(" + parts.joined(separator: ",\n") + ")\n"
        }
        if table.distribution.columns.isEmpty {
            sql += "DISTRIBUTED BY RANDOM BUCKETS \(table.distribution.buckets) "
        } else {
            sql += "DISTRIBUTED BY HASH(\(names(table.distribution.columns))) BUCKETS \(table.distribution.buckets) "
        }
        if let sortKey = table.sortKey { sql += "\nORDER BY(\(names(sortKey)))" }
        if !table.properties.isEmpty {
            sql +=
                "\nPROPERTIES (\n"
                + table.properties.sorted { $0.key < $1.key }.map { "\"\($0.key)\" = \"\($0.value)\"" }.joined(
                    separator: ",\n") + "\n)"
        }
        return sql + ";"
    }
}
