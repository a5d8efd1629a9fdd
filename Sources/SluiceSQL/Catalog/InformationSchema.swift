import SluiceExpr
import SluiceFormat
import SluiceStorage

/// `information_schema` (spec mysql-protocol §6): StarRocks' system views, columns upper-case,
/// computed from the catalog at query time.
enum InformationSchema {
    static let tables: [SystemTable] =
        [schemata, tablesTable, columns, tablesConfig, views, materializedViews]
        + constraintTables + serverTables + loadTables + pipeTables

    static let byName: [String: SystemTable] = Dictionary(uniqueKeysWithValues: tables.map { ($0.name, $0) })

    static let catalogName = "def"
    static let defaultCharset = "utf8"
    static let defaultCollation = "utf8_general_ci"

    /// Every database the session can name, system database first.
    static func databases(_ catalog: SystemCatalog) -> [(name: String, tables: [TableMeta])] {
        // One snapshot of the catalog for the whole table.
        let databases = catalog.engine.metaState.databases.values.sorted { $0.name < $1.name }
        return [(SystemCatalog.schemaName, [])]
            + databases.map { db in (db.name, db.tables.values.sorted { $0.name < $1.name }) }
    }

    static let schemata = SystemTable(
        "schemata",
        [
            .text("CATALOG_NAME"), .text("SCHEMA_NAME"), .text("DEFAULT_CHARACTER_SET_NAME"),
            .text("DEFAULT_COLLATION_NAME"), .text("SQL_PATH"),
        ]
    ) { catalog, _ in
        databases(catalog).map {
            [.text(catalogName), .text($0.name), .text(defaultCharset), .text(defaultCollation), .null]
        }
    }

    static let tablesTable = SystemTable(
        "tables",
        [
            .text("TABLE_CATALOG"), .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .text("TABLE_TYPE"), .text("ENGINE"),
            .number("VERSION"), .text("ROW_FORMAT"), .number("TABLE_ROWS"), .number("AVG_ROW_LENGTH"),
            .number("DATA_LENGTH"), .number("MAX_DATA_LENGTH"), .number("INDEX_LENGTH"), .number("DATA_FREE"),
            .number("AUTO_INCREMENT"), .time("CREATE_TIME"), .time("UPDATE_TIME"), .time("CHECK_TIME"),
            .text("TABLE_COLLATION"), .number("CHECKSUM"), .text("CREATE_OPTIONS"), .text("TABLE_COMMENT"),
        ]
    ) { catalog, session in
        var rows = [[Value]]()
        for system in InformationSchema.tables.sorted(by: { $0.name < $1.name }) {
            rows.append([
                .text(catalogName), .text(SystemCatalog.schemaName), .text(system.name), .text("SYSTEM VIEW"),
                .text("MEMORY"), .number(10), .text("Fixed"), .null, .null, .null, .null, .null, .null, .null, .null,
                .null, .null, .text(defaultCollation), .null, .text(""), .text(""),
            ])
        }
        for db in databases(catalog) {
            for table in db.tables {
                let bytes = table.byteCount
                let rowCount = table.rowCount
                rows.append([
                    .text(catalogName), .text(db.name), .text(table.name), .text("BASE TABLE"), .text("StarRocks"),
                    .null, .null, .number(rowCount), .number(rowCount == 0 ? 0 : bytes / rowCount), .number(bytes),
                    .number(0), .number(0), .null, .null, time(table.createTime, session), .null, .null,
                    .text(defaultCollation), .null, .text(""), .text(table.properties["comment"] ?? ""),
                ])
            }
        }
        return rows
    }

    static let columns = SystemTable(
        "columns",
        [
            .text("TABLE_CATALOG"), .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .text("COLUMN_NAME"),
            .number("ORDINAL_POSITION"), .text("COLUMN_DEFAULT"), .text("IS_NULLABLE"), .text("DATA_TYPE"),
            .number("CHARACTER_MAXIMUM_LENGTH"), .number("CHARACTER_OCTET_LENGTH"), .number("NUMERIC_PRECISION"),
            .number("NUMERIC_SCALE"), .number("DATETIME_PRECISION"), .text("CHARACTER_SET_NAME"),
            .text("COLLATION_NAME"), .text("COLUMN_TYPE"), .text("COLUMN_KEY"), .text("EXTRA"), .text("PRIVILEGES"),
            .text("COLUMN_COMMENT"), .number("COLUMN_SIZE"), .number("DECIMAL_DIGITS"), .text("GENERATION_EXPRESSION"),
            .number("SRS_ID"),
        ]
    ) { catalog, _ in
        var rows = [[Value]]()
        for system in InformationSchema.tables.sorted(by: { $0.name < $1.name }) {
            for (i, c) in system.columns.enumerated() {
                rows.append(columnRow(SystemCatalog.schemaName, system.name, i, c.name, c.type, true, nil, "", ""))
            }
        }
        for db in databases(catalog) {
            for table in db.tables {
                let key = columnKey(table.keysType)
                for (i, c) in table.schema.columns.enumerated() {
                    rows.append(
                        columnRow(
                            db.name, table.name, i, c.name, c.type, c.isNullable, c.defaultValue, c.isKey ? key : "",
                            c.comment))
                }
            }
        }
        return rows
    }

    /// `COLUMN_KEY` of a key column by table model (StarRocks' additions to MySQL's `PRI`).
    static func columnKey(_ keys: KeysType) -> String {
        switch keys {
        case .primary: "PRI"
        case .duplicate: "DUP"
        case .aggregate: "AGG"
        case .unique: "UNI"
        }
    }

    private static func columnRow(
        _ schema: String, _ table: String, _ index: Int, _ name: String, _ type: ColumnType, _ nullable: Bool,
        _ defaultValue: String?, _ key: String, _ comment: String
    ) -> [Value] {
        let isText = type.characterLength != nil || type == .json
        return [
            .text(catalogName), .text(schema), .text(table), .text(name), .number(index + 1), .text(defaultValue),
            .text(nullable ? "YES" : "NO"), .text(type.mysqlDataType), .number(type.characterLength),
            .number(type.characterLength.map { $0 * 3 }), .number(type.numericPrecision), .number(type.numericScale),
            .number(type == .datetime ? 0 : nil), .text(isText ? defaultCharset : nil),
            .text(isText ? defaultCollation : nil), .text(type.mysqlColumnType), .text(key), .text(""),
            .text("select,insert,update,references"), .text(comment), .number(type.columnSize),
            .number(type.numericScale), .text(nil), .null,
        ]
    }

    static let tablesConfig = SystemTable(
        "tables_config",
        [
            .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .text("TABLE_ENGINE"), .text("TABLE_MODEL"),
            .text("PRIMARY_KEY"), .text("PARTITION_KEY"), .text("DISTRIBUTE_KEY"), .text("DISTRIBUTE_TYPE"),
            .number("DISTRIBUTE_BUCKET"), .text("SORT_KEY"), .text("PROPERTIES"), .number("TABLE_ID"),
        ]
    ) { catalog, _ in
        var rows = [[Value]]()
        for db in databases(catalog) {
            for table in db.tables {
                func names(_ columns: [String]) -> String { columns.map { "`\($0)`" }.joined(separator: ", ") }
                let properties = JSONObject.strings(table.properties.sorted { $0.key < $1.key })
                rows.append([
                    .text(db.name), .text(table.name), .text("OLAP"), .text(tableModel(table.keysType)),
                    .text(names(table.keyColumns)), .text(table.partitioning.column.map { names([$0]) } ?? ""),
                    .text(names(table.distribution.columns)),
                    .text(table.distribution.columns.isEmpty ? "RANDOM" : "HASH"), .number(table.distribution.buckets),
                    .text(names(table.sortKey ?? table.keyColumns)), .text(properties), .number(table.id),
                ])
            }
        }
        return rows
    }

    /// `TABLE_MODEL` of tables_config.
    static func tableModel(_ keys: KeysType) -> String {
        switch keys {
        case .duplicate: "DUP_KEYS"
        case .aggregate: "AGG_KEYS"
        case .unique: "UNQ_KEYS"
        case .primary: "PRI_KEYS"
        }
    }

    static let views = SystemTable.empty(
        "views",
        [
            .text("TABLE_CATALOG"), .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .text("VIEW_DEFINITION"),
            .text("CHECK_OPTION"), .text("IS_UPDATABLE"), .text("DEFINER"), .text("SECURITY_TYPE"),
            .text("CHARACTER_SET_CLIENT"), .text("COLLATION_CONNECTION"),
        ])

    static let materializedViews = SystemTable.empty(
        "materialized_views",
        [
            .text("MATERIALIZED_VIEW_ID"), .text("TABLE_SCHEMA"), .text("TABLE_NAME"), .text("REFRESH_TYPE"),
            .text("IS_ACTIVE"), .text("INACTIVE_REASON"), .text("PARTITION_TYPE"), .text("TASK_ID"),
            .text("TASK_NAME"), .time("LAST_REFRESH_START_TIME"), .time("LAST_REFRESH_FINISHED_TIME"),
            .text("LAST_REFRESH_DURATION"), .text("LAST_REFRESH_STATE"), .text("LAST_REFRESH_ERROR_CODE"),
            .text("LAST_REFRESH_ERROR_MESSAGE"), .text("TABLE_ROWS"), .text("MATERIALIZED_VIEW_DEFINITION"),
        ])

    /// Seconds since the epoch as a DATETIME in the session's zone.
    static func time(_ seconds: Int64, _ session: Session) -> Value {
        .int(session.timeZone.toLocal(utcMicros: seconds * CivilTime.microsPerSecond))
    }
}
