import SluiceFormat

/// A column type described in MySQL's terms, as `information_schema.columns` and
/// `SHOW [FULL] COLUMNS` show it (StarRocks' `toMysqlDataTypeString` / `toMysqlColumnTypeString`).
extension ColumnType {
    /// `DATA_TYPE`: the lower-case MySQL type name (BOOLEAN is `tinyint`, LARGEINT `bigint unsigned`).
    var mysqlDataType: String {
        switch self {
        case .boolean, .tinyint: "tinyint"
        case .smallint: "smallint"
        case .int: "int"
        case .bigint: "bigint"
        case .largeint: "bigint unsigned"
        case .float: "float"
        case .double: "double"
        case .decimal: "decimal"
        case .date: "date"
        case .datetime: "datetime"
        case .char: "char"
        case .varchar, .string: "varchar"
        case .json: "json"
        case .array: "array"
        }
    }

    /// `COLUMN_TYPE`: the type with its display width or arguments (`int(11)`, `tinyint(1)`,
    /// `decimal(10, 2)`, `varchar(32)`).
    var mysqlColumnType: String {
        switch self {
        case .boolean: "tinyint(1)"
        case .largeint: "bigint(20) unsigned"
        case .decimal(let p, let s): "decimal(\(p), \(s))"
        case .array(let element): "array<\(element.mysqlColumnType)>"
        default: sqlName
        }
    }

    /// `NUMERIC_PRECISION` (and the connectors' `COLUMN_SIZE` for numbers).
    var numericPrecision: Int? {
        switch self {
        case .boolean: 1
        case .tinyint: 3
        case .smallint: 5
        case .int: 10
        case .bigint: 19
        case .largeint: 39
        case .float: 12
        case .double: 22
        case .decimal(let p, _): p
        default: nil
        }
    }

    /// `NUMERIC_SCALE` (and `DECIMAL_DIGITS`): 0 for integers, the scale for DECIMAL.
    var numericScale: Int? {
        switch self {
        case .decimal(_, let s): s
        case .boolean, .tinyint, .smallint, .int, .bigint, .largeint: 0
        default: nil
        }
    }

    /// `CHARACTER_MAXIMUM_LENGTH`: characters a CHAR/VARCHAR holds.
    var characterLength: Int? {
        switch self {
        case .char(let n), .varchar(let n): n
        case .string: Self.stringLength
        default: nil
        }
    }

    /// `COLUMN_SIZE` (StarRocks' addition read by its connectors): precision or length.
    var columnSize: Int? {
        switch self {
        case .date: 10
        case .datetime: 19
        default: numericPrecision ?? characterLength
        }
    }
}
