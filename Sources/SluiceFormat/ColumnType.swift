/// A logical column type, as StarRocks names it.
///
/// Every logical type is stored in one of four ``PhysicalType`` lanes, so encoders, vectors and the
/// evaluator only deal with four representations:
/// - `int64`: BOOLEAN, TINYINT, SMALLINT, INT, BIGINT, DATE (days since 1970-01-01),
///   DATETIME (microseconds since 1970-01-01 00:00:00 in the session time zone's wall clock).
/// - `int128`: LARGEINT and DECIMAL(p, s) (the unscaled value; exact, never a binary float).
/// - `float64`: FLOAT and DOUBLE.
/// - `bytes`: CHAR, VARCHAR, STRING, JSON (UTF-8 bytes) and ARRAY<T> (its canonical text,
///   ``ArrayText``).
package enum ColumnType: Hashable, Sendable, Codable {
    case boolean
    case tinyint
    case smallint
    case int
    case bigint
    case largeint
    case float
    case double
    case decimal(precision: Int, scale: Int)
    case date
    case datetime
    case char(length: Int)
    case varchar(length: Int)
    case string
    case json
    /// ARRAY<element>: stored and shown as canonical text (`[1,2,3]`); elements are checked
    /// against the element type as a load converts a field.
    indirect case array(ColumnType)

    /// The maximum DECIMAL precision.
    package static let maxDecimalPrecision = 38
    /// The length StarRocks gives `STRING` (and `VARCHAR` without a length).
    package static let stringLength = 65533

    /// The storage lane of this type.
    package var physical: PhysicalType {
        switch self {
        case .boolean, .tinyint, .smallint, .int, .bigint, .date, .datetime: .int64
        case .largeint, .decimal: .int128
        case .float, .double: .float64
        case .char, .varchar, .string, .json, .array: .bytes
        }
    }

    /// Whether values are integers of a fixed range (BOOLEAN through BIGINT).
    package var isInteger: Bool {
        switch self {
        case .boolean, .tinyint, .smallint, .int, .bigint, .largeint: true
        default: false
        }
    }

    package var isNumeric: Bool {
        switch self {
        case .boolean, .tinyint, .smallint, .int, .bigint, .largeint, .float, .double, .decimal: true
        default: false
        }
    }

    package var isString: Bool {
        switch self {
        case .char, .varchar, .string: true
        default: false
        }
    }

    /// The scale of a DECIMAL, 0 for every other type.
    package var decimalScale: Int {
        if case .decimal(_, let scale) = self { return scale }
        return 0
    }

    /// The inclusive range of an integer type in the `int64` lane.
    package var integerRange: ClosedRange<Int64>? {
        switch self {
        case .boolean: 0...1
        case .tinyint: Int64(Int8.min)...Int64(Int8.max)
        case .smallint: Int64(Int16.min)...Int64(Int16.max)
        case .int: Int64(Int32.min)...Int64(Int32.max)
        case .bigint: Int64.min...Int64.max
        default: nil
        }
    }

    /// The maximum byte length of a string type.
    package var maxLength: Int? {
        switch self {
        case .char(let n), .varchar(let n): n
        case .string: Self.stringLength
        case .json: nil
        default: nil
        }
    }

    /// The type as `DESC` and `SHOW CREATE TABLE` print it (`int(11)`, `varchar(20)`, `decimal(10,2)`).
    package var sqlName: String {
        switch self {
        case .boolean: "boolean"
        case .tinyint: "tinyint(4)"
        case .smallint: "smallint(6)"
        case .int: "int(11)"
        case .bigint: "bigint(20)"
        case .largeint: "largeint(40)"
        case .float: "float"
        case .double: "double"
        case .decimal(let p, let s): "decimal(\(p),\(s))"
        case .date: "date"
        case .datetime: "datetime"
        case .char(let n): "char(\(n))"
        case .varchar(let n): "varchar(\(n))"
        case .string: "varchar(\(Self.stringLength))"
        case .json: "json"
        case .array(let element): "array<\(element.sqlName)>"
        }
    }

    /// The name `DESC` shows: lower-case, integers without display widths (`int`, `varchar(64)`).
    package var describeName: String {
        switch self {
        case .tinyint: "tinyint"
        case .smallint: "smallint"
        case .int: "int"
        case .bigint: "bigint"
        case .largeint: "largeint"
        case .array(let element): "array<\(element.describeName)>"
        default: sqlName
        }
    }

    /// The type name the HTTP SQL API reports in `meta` (StarRocks' internal names).
    package var metaName: String {
        switch self {
        case .decimal(let p, let s):
            let width = p <= 9 ? "decimal32" : p <= 18 ? "decimal64" : "decimal128"
            return "\(width)(\(p), \(s))"
        case .string: return "varchar(\(Self.stringLength))"
        default: return sqlName
        }
    }

    /// Parses a type name with its arguments, e.g. `("decimal", [10, 2])`.
    /// - Returns: `nil` for an unknown name or invalid arguments.
    package static func named(_ rawName: String, arguments: [Int]) -> ColumnType? {
        switch rawName.lowercased() {
        case "boolean", "bool": return arguments.isEmpty ? .boolean : nil
        case "tinyint": return arguments.count <= 1 ? .tinyint : nil
        case "smallint": return arguments.count <= 1 ? .smallint : nil
        case "int", "integer": return arguments.count <= 1 ? .int : nil
        case "bigint": return arguments.count <= 1 ? .bigint : nil
        case "largeint": return arguments.count <= 1 ? .largeint : nil
        case "float": return arguments.isEmpty ? .float : nil
        case "double": return arguments.isEmpty ? .double : nil
        case "decimal", "decimalv3", "decimal32", "decimal64", "decimal128", "numeric":
            let precision = arguments.first ?? 10
            let scale = arguments.count > 1 ? arguments[1] : 0
            guard arguments.count <= 2, (1...maxDecimalPrecision).contains(precision), (0...precision).contains(scale)
            else { return nil }
            return .decimal(precision: precision, scale: scale)
        case "date": return arguments.isEmpty ? .date : nil
        case "datetime", "timestamp": return arguments.count <= 1 ? .datetime : nil
        case "char":
            let length = arguments.first ?? 1
            guard arguments.count <= 1, (1...255).contains(length) else { return nil }
            return .char(length: length)
        case "varchar":
            let length = arguments.first ?? stringLength
            guard arguments.count <= 1, (1...1_048_576).contains(length) else { return nil }
            return .varchar(length: length)
        case "string", "text": return arguments.isEmpty ? .string : nil
        case "json", "jsonb": return arguments.isEmpty ? .json : nil
        default: return nil
        }
    }
}

/// The in-memory and on-disk representation lane of a ``ColumnType``.
package enum PhysicalType: UInt8, Sendable, Codable {
    case int64 = 1
    case int128 = 2
    case float64 = 3
    case bytes = 4
}
