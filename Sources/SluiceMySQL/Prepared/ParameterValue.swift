import Foundation
import SluiceFormat

/// A parameter of COM_STMT_EXECUTE, decoded from the binary protocol (spec §3.10).
package enum ParameterValue: Sendable, Equatable {
    case null
    case int(Int64)
    case unsigned(UInt64)
    case double(Double)
    /// Strings, decimals, JSON, blobs: the bytes as sent.
    case bytes([UInt8])
    case date(year: Int, month: Int, day: Int)
    case dateTime(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, micros: Int)
    case time(negative: Bool, days: Int, hour: Int, minute: Int, second: Int, micros: Int)

    /// The value as a SQL literal, substituted for its `?`: numbers as digits, text as a quoted
    /// string (backslash-escaped, as the lexer reads it), bytes that are not UTF-8 as `X'…'`,
    /// temporal values as quoted text the engine casts.
    package var sqlLiteral: String {
        switch self {
        case .null: return "NULL"
        case .int(let v): return String(v)
        case .unsigned(let v): return String(v)
        case .double(let v): return v.isFinite ? "\(v)" : "NULL"
        case .bytes(let bytes):
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return "X'" + bytes.map { String(format: "%02X", $0) }.joined() + "'"
            }
            return Self.quoted(text)
        case .date(let y, let m, let d):
            return "'\(Self.pad(y, 4))-\(Self.pad(m, 2))-\(Self.pad(d, 2))'"
        case .dateTime(let y, let mo, let d, let h, let mi, let s, let us):
            let fraction = us == 0 ? "" : "." + Self.pad(us, 6)
            return
                "'\(Self.pad(y, 4))-\(Self.pad(mo, 2))-\(Self.pad(d, 2)) \(Self.pad(h, 2)):\(Self.pad(mi, 2)):\(Self.pad(s, 2))\(fraction)'"
        case .time(let negative, let days, let h, let mi, let s, let us):
            let fraction = us == 0 ? "" : "." + Self.pad(us, 6)
            return
                "'\(negative ? "-" : "")\(Self.pad(days * 24 + h, 2)):\(Self.pad(mi, 2)):\(Self.pad(s, 2))\(fraction)'"
        }
    }

    static func quoted(_ text: String) -> String {
        var out = "'"
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\0": out += "\\0"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "'"
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
