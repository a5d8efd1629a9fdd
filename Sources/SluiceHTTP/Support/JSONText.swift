package import SluiceFormat

/// Minimal JSON writing for hot response paths (no Foundation encoder per row).
package enum JSONText {
    /// Appends `text` as a JSON string literal.
    package static func appendString(_ text: some Collection<UInt8>, to out: inout [UInt8]) {
        JSONEscaping.appendQuoted(text, to: &out)
    }

    package static func string(_ text: String) -> String { JSONEscaping.quoted(text) }

    /// Appends row `row` of `column` in the HTTP SQL API's value encoding: integers and floats as
    /// numbers, DECIMAL/DATE/DATETIME/strings as strings, BOOLEAN as 0/1, NULL as `null`.
    package static func appendValue(_ column: ColumnVector, _ row: Int, to out: inout [UInt8]) {
        if column.isNull(row) {
            out.append(contentsOf: Array("null".utf8))
            return
        }
        let type = column.type
        switch type {
        case .boolean, .tinyint, .smallint, .int, .bigint:
            out.append(contentsOf: Array(String(column.ints[row]).utf8))
        case .largeint:
            out.append(contentsOf: Array(String(column.wides[row]).utf8))
        case .float, .double:
            let d = column.doubles[row]
            out.append(contentsOf: Array((d.isFinite ? Value.formatDouble(d, isFloat: type == .float) : "null").utf8))
        case .decimal(_, let scale):
            out.append(UInt8(ascii: "\""))
            DecimalArithmetic.append(column.wides[row], scale: scale, to: &out)
            out.append(UInt8(ascii: "\""))
        case .date:
            out.append(UInt8(ascii: "\""))
            let (y, m, d) = CivilTime.civil(days: column.ints[row])
            CivilTime.appendDate(y, m, d, to: &out)
            out.append(UInt8(ascii: "\""))
        case .datetime:
            out.append(UInt8(ascii: "\""))
            CivilTime.appendDateTime(column.ints[row], to: &out)
            out.append(UInt8(ascii: "\""))
        case .char, .varchar, .string, .json, .array:
            appendString(column.byteSlice(row), to: &out)
        }
    }
}
