import Foundation
import SluiceFormat

/// How a source field wants an Avro value as text (the legacy reader's conversions, spec A.3
/// step 5): the text is then parsed into the column's type like any other field.
enum AvroTextForm: Sendable, Equatable {
    /// VARCHAR and everything read through text (expressions, DATE, DECIMAL…): strings and bytes
    /// as they are, enums as their symbol, numbers as C++ `std::to_string` writes them (floats
    /// with six decimals), booleans `1`/`0`, containers as Avro-JSON text.
    case text
    /// BOOLEAN, integers, FLOAT, DOUBLE: numbers exactly (a float is not cut to six decimals).
    case numeric
    /// JSON: the value in Avro's JSON encoding (strings quoted, unions inside wrapped).
    case json
    /// ARRAY<T>: an Avro array element by element — JSON text with unions stepped through at
    /// every level, then parsed into the element type.
    case array

    init(_ type: ColumnType?) {
        guard let type else {
            self = .text
            return
        }
        if type == .json {
            self = .json
        } else if case .array = type {
            self = .array
        } else if type.isNumeric && !type.isDecimal {
            self = .numeric
        } else {
            self = .text
        }
    }
}

extension ColumnType {
    fileprivate var isDecimal: Bool { if case .decimal = self { true } else { false } }
}

extension AvroValue {
    /// Appends the value's text in `form`; returns false (appending nothing) for NULL.
    func appendText(_ form: AvroTextForm, to out: inout [UInt8]) -> Bool {
        let value = unwrapped
        if form == .json || form == .array {
            if case .null = value { return false }
            (form == .json ? value.legacyJSON : value.plainJSON).write(to: &out)
            return true
        }
        switch value {
        case .null: return false
        case .boolean(let b): out.append(b ? UInt8(ascii: "1") : UInt8(ascii: "0"))
        case .int(let i): AvroText.appendDecimal(Int64(i), to: &out)
        case .long(let l): AvroText.appendDecimal(l, to: &out)
        case .float(let f): AvroText.appendFloating(Double(f), exact: f.description, form, to: &out)
        case .double(let d): AvroText.appendFloating(d, exact: d.description, form, to: &out)
        case .bytes(let raw), .fixed(let raw), .string(let raw): out.append(contentsOf: raw)
        case .enumeration(let symbol): out.append(contentsOf: symbol.utf8)
        case .record, .array, .map, .union: value.legacyJSON.write(to: &out)
        }
        return true
    }
}

extension AvroValue {
    /// Avro-JSON text with every union stepped through (what ARRAY columns read).
    var plainJSON: JSONValue {
        switch self {
        case .union(_, let value): value.plainJSON
        case .record(let fields): .object(fields.map { (Array($0.name.utf8), $0.value.plainJSON) })
        case .array(let items): .array(items.map(\.plainJSON))
        case .map(let entries): .object(entries.map { ($0.key, $0.value.plainJSON) })
        default: legacyJSON
        }
    }
}

enum AvroText {
    /// `value` in decimal digits, without going through `String`.
    @inline(__always)
    static func appendDecimal(_ value: Int64, to out: inout [UInt8]) {
        if value >= 0, value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) &+ 48)
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch: 20 digits fit.
        withUnsafeMutableBytes(of: &digits) { scratch in
            var i = scratch.count
            repeat {
                i -= 1
                scratch[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                i -= 1
                scratch[i] = UInt8(ascii: "-")
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[i...]))
        }
    }

    /// A float or double: exactly (shortest round-trip digits) for numeric columns, else as
    /// `std::to_string` prints it (`%f`).
    static func appendFloating(_ value: Double, exact: String, _ form: AvroTextForm, to out: inout [UInt8]) {
        if form == .numeric || !value.isFinite {
            out.append(contentsOf: exact.utf8)
        } else {
            out.append(contentsOf: String(format: "%f", value).utf8)
        }
    }
}
