package import SluiceFormat

/// ColumnDefinition41 packets as StarRocks writes them (spec mysql-protocol §3.4): catalog `def`,
/// empty schema/table for query results, flags 0, and StarRocks' type → MySQL type mapping.
package enum ColumnDefinition {
    /// MySQL's view of a column type: type code, character set, display length, decimals.
    package struct MySQLType: Sendable, Equatable {
        package var code: UInt8
        package var charset: Int
        package var length: Int
        package var decimals: UInt8
    }

    package static let utf8Charset = 33
    package static let binaryCharset = 63

    /// The MySQL type of a column of `type` (StarRocks' `TypeTest.testGetMysqlResultSetMetaData`).
    package static func mysqlType(_ type: ColumnType) -> MySQLType {
        switch type {
        case .boolean: MySQLType(code: 1, charset: binaryCharset, length: 1, decimals: 0)
        case .tinyint: MySQLType(code: 1, charset: binaryCharset, length: 4, decimals: 0)
        case .smallint: MySQLType(code: 2, charset: binaryCharset, length: 6, decimals: 0)
        case .int: MySQLType(code: 3, charset: binaryCharset, length: 11, decimals: 0)
        case .bigint: MySQLType(code: 8, charset: binaryCharset, length: 20, decimals: 0)
        case .largeint: MySQLType(code: 254, charset: utf8Charset, length: 40, decimals: 0)
        case .float: MySQLType(code: 4, charset: binaryCharset, length: 12, decimals: 31)
        case .double: MySQLType(code: 5, charset: binaryCharset, length: 22, decimals: 31)
        case .decimal(let precision, let scale):
            MySQLType(
                code: 246, charset: binaryCharset, length: precision + 3 + (scale > 0 ? 1 : 0), decimals: UInt8(scale))
        case .date: MySQLType(code: 10, charset: binaryCharset, length: 10, decimals: 0)
        case .datetime: MySQLType(code: 12, charset: binaryCharset, length: 19, decimals: 0)
        case .char(let n): MySQLType(code: 254, charset: utf8Charset, length: n * 3, decimals: 0)
        case .varchar(let n): MySQLType(code: 253, charset: utf8Charset, length: n * 3, decimals: 0)
        case .string: MySQLType(code: 253, charset: utf8Charset, length: ColumnType.stringLength * 3, decimals: 0)
        case .json: MySQLType(code: 254, charset: utf8Charset, length: 60, decimals: 0)
        // ARRAY, MAP, STRUCT are STRING (254) in StarRocks' result metadata (spec mysql-protocol §6).
        case .array: MySQLType(code: 254, charset: utf8Charset, length: ColumnType.stringLength * 3, decimals: 0)
        }
    }

    /// A query-result column (schema and table empty).
    package static func encode(name: String, type: ColumnType) -> [UInt8] {
        encode(schema: "", table: "", name: name, type: type, defaultValue: nil, fieldList: false)
    }

    /// A COM_FIELD_LIST column: schema and table named, followed by the default value.
    package static func fieldList(schema: String, table: String, name: String, type: ColumnType, defaultValue: String?)
        -> [UInt8]
    {
        encode(schema: schema, table: table, name: name, type: type, defaultValue: defaultValue, fieldList: true)
    }

    private static func encode(
        schema: String, table: String, name: String, type: ColumnType, defaultValue: String?, fieldList: Bool
    ) -> [UInt8] {
        let mysql = mysqlType(type)
        var w = WireWriter(capacity: 32 + 2 * name.utf8.count + schema.utf8.count + 2 * table.utf8.count)
        w.lenencString("def")
        w.lenencString(schema)
        w.lenencString(table)
        w.lenencString(table)
        w.lenencString(name)
        w.lenencString(name)
        w.lenenc(0x0C)
        w.int2(mysql.charset)
        w.int4(mysql.length)
        w.int1(mysql.code)
        w.int2(0)
        w.int1(mysql.decimals)
        w.int2(0)
        if fieldList {
            if let defaultValue { w.lenencString(defaultValue) } else { w.int1(0xFB) }
        }
        return w.bytes
    }
}
