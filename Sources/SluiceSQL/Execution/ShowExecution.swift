import SluiceExpr
import SluiceFormat
import SluiceStorage

/// SHOW DATABASES / TABLES / CREATE TABLE / PARTITIONS / TABLET and DESC.
struct ShowExecution {
    let engine: StorageEngine
    let session: Session

    func run(_ statement: Statement) throws -> ResultSet {
        switch statement {
        case .showDatabases(let filter):
            return try text(["Database"], engine.databaseNames().map { [$0] }).filtered(filter, session)
        case .showTables(let database, let full, let filter):
            guard let db = database ?? session.database else { throw SQLError(.noDatabase, "No database selected") }
            let meta = try engine.database(db)
            let names = meta.tables.values.map(\.name).sorted()
            if full {
                return try text(["Tables_in_\(meta.name)", "Table_type"], names.map { [$0, "BASE TABLE"] })
                    .filtered(filter, session)
            }
            return try text(["Tables_in_\(meta.name)"], names.map { [$0] }).filtered(filter, session)
        case .describe(let name):
            let table = try lookup(name)
            let rows = table.schema.columns.map { c -> [String?] in
                [
                    c.name, c.type.describeName, c.isNullable ? "YES" : "NO", c.isKey ? "true" : "false",
                    c.defaultValue, "",
                ]
            }
            return text(["Field", "Type", "Null", "Key", "Default", "Extra"], rows)
        case .describeAll(let name):
            // One index (the base table): its name and keys type on the first row; Extra names each
            // value column's aggregate, except on PRIMARY KEY tables (StarRocks hides REPLACE there).
            let table = try lookup(name)
            let rows = table.schema.columns.enumerated().map { i, c -> [String?] in
                let aggregate: String =
                    switch table.keysType {
                    case .primary, .duplicate: ""
                    case .unique: c.isKey ? "" : "REPLACE"
                    case .aggregate: c.aggregate?.rawValue ?? ""
                    }
                return [
                    i == 0 ? table.name : "", i == 0 ? table.keysType.internalName : "", c.name, c.type.describeName,
                    c.isNullable ? "YES" : "NO", c.isKey ? "true" : "false", c.defaultValue, aggregate,
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
        case .showTransactions(let database, let filter, let asLoads):
            return try transactions(database, filter, asLoads: asLoads)
        default:
            throw SQLError(.internalError, "not a SHOW statement")
        }
    }

    /// Committed (VISIBLE) and PREPARED transactions the journal remembers, newest first.
    private func transactions(_ database: String?, _ filter: TransactionFilter?, asLoads: Bool) throws -> ResultSet {
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
        if asLoads {
            return text(
                ["JobId", "Label", "State", "Type", "TableName", "CreateTime", "LoadFinishTime"],
                rows.map { r in
                    [
                        String(r.id), r.label, r.state == "VISIBLE" ? "FINISHED" : "PREPARED", "STREAM_LOAD",
                        tableName(r.table), time(r.time),
                        r.state == "VISIBLE" ? time(r.time) : nil,
                    ]
                })
        }
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
