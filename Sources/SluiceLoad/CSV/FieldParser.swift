package import SluiceFormat

/// Values of one source field that did not convert: the row in its batch and the text.
package typealias ParseFailures = [(row: Int, text: String)]

/// Converts one text field straight into a typed column (the CSV fast path: no intermediate
/// string column). Same rules as ``CastKernel`` from a string.
package enum FieldParser {
    /// Appends the value of `text` to `column`; on a conversion failure appends NULL and returns false.
    @inline(__always)
    package static func append(_ text: UnsafeRawBufferPointer, to column: inout ColumnVector) -> Bool {
        let bytes = text.bindMemory(to: UInt8.self)
        let type = column.type
        switch type {
        case .tinyint, .smallint, .int, .bigint:
            if let v = ValueParser.parseInt64(bytes), type.integerRange!.contains(v) {
                column.appendInt(v)
                return true
            }
        case .boolean:
            if let v = ValueParser.parseBool(bytes) {
                column.appendInt(v ? 1 : 0)
                return true
            }
        case .date:
            if let v = CivilTime.parseDate(bytes) {
                column.appendInt(v)
                return true
            }
        case .datetime:
            if let v = CivilTime.parseDateTime(bytes) {
                column.appendInt(v)
                return true
            }
        case .decimal(let precision, let scale):
            if let v = DecimalArithmetic.parse(bytes, precision: precision, scale: scale) {
                column.appendWide(v)
                return true
            }
        case .char(let n), .varchar(let n):
            if text.count <= n {
                column.appendBytes(text)
                return true
            }
            column.appendNull()
            return false
        case .string, .json:
            column.appendBytes(text)
            return true
        default:
            break
        }
        // Everything else, and the slow forms (integers written as "1.0", …), goes through the
        // general rules.
        switch ValueParser.parse(bytes, as: type) {
        case .success(let value):
            column.append(value)
            return true
        case .failure:
            if type.isInteger, let d = ValueParser.parseDouble(bytes), d == d.rounded(), let v = Int64(exactly: d),
                type.integerRange?.contains(v) ?? true
            {
                column.appendInt(v)
                return true
            }
            column.appendNull()
            return false
        }
    }
}
