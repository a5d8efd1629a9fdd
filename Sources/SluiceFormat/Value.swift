#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One scalar in its physical lane; its ``ColumnType`` is carried alongside (by the column or the
/// expression), so the same `Value` means a DATE or an INT depending on context.
package enum Value: Hashable, Sendable {
    case null
    /// `int64` lane: integers, booleans (0/1), DATE days, DATETIME microseconds.
    case int(Int64)
    /// `int128` lane: LARGEINT, or a DECIMAL's unscaled value.
    case wide(Int128)
    /// `float64` lane.
    case double(Double)
    /// `bytes` lane: UTF-8 text or JSON.
    case bytes([UInt8])

    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    package static func string(_ s: String) -> Value { .bytes(Array(s.utf8)) }

    /// The zero of a type's lane (`0`, empty string): StarRocks fills NOT NULL columns without a
    /// default with it where a row must be completed (partial updates, deletes by key).
    package static func zero(of type: ColumnType) -> Value {
        switch type.physical {
        case .int64: .int(0)
        case .int128: .wide(0)
        case .float64: .double(0)
        case .bytes: .bytes([])
        }
    }

    /// Text of a bytes value (`nil` for other lanes).
    package var stringValue: String? {
        if case .bytes(let b) = self { return String(decoding: b, as: UTF8.self) }
        return nil
    }

    /// Renders the value as SQL text for `type` (what `SELECT` shows, unquoted).
    package func text(as type: ColumnType) -> String? {
        switch self {
        case .null: return nil
        case .int(let v):
            switch type {
            case .date: return CivilTime.formatDate(v)
            case .datetime: return CivilTime.formatDateTime(v)
            case .decimal(_, let scale): return DecimalArithmetic.format(Int128(v), scale: scale)
            case .float, .double: return Self.formatDouble(Double(v), isFloat: type == .float)
            default: return String(v)
            }
        case .wide(let v):
            if case .decimal(_, let scale) = type { return DecimalArithmetic.format(v, scale: scale) }
            return String(v)
        case .double(let d): return Self.formatDouble(d, isFloat: type == .float)
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        }
    }

    /// Shortest round-trip text of a double, integral values without a fraction (`3`, `0.1`).
    package static func formatDouble(_ d: Double, isFloat: Bool = false) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        if isFloat { return "\(Float(d))" }
        return "\(d)"
    }
}

/// A total order on values of one type: NULL first, then by lane value (bytes lexicographic).
package func compareValues(_ a: Value, _ b: Value) -> Int {
    switch (a, b) {
    case (.null, .null): return 0
    case (.null, _): return -1
    case (_, .null): return 1
    case (.int(let x), .int(let y)): return x < y ? -1 : (x > y ? 1 : 0)
    case (.wide(let x), .wide(let y)): return x < y ? -1 : (x > y ? 1 : 0)
    case (.double(let x), .double(let y)): return x < y ? -1 : (x > y ? 1 : 0)
    case (.bytes(let x), .bytes(let y)): return compareBytes(x[...], y[...])
    case (.int(let x), .wide(let y)): return Int128(x) < y ? -1 : (Int128(x) > y ? 1 : 0)
    case (.wide(let x), .int(let y)): return x < Int128(y) ? -1 : (x > Int128(y) ? 1 : 0)
    case (.int(let x), .double(let y)): return Double(x) < y ? -1 : (Double(x) > y ? 1 : 0)
    case (.double(let x), .int(let y)): return x < Double(y) ? -1 : (x > Double(y) ? 1 : 0)
    default: return 0
    }
}

/// Lexicographic comparison of byte strings (memcmp, then length).
package func compareBytes(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Int {
    let n = min(a.count, b.count)
    if n > 0 {
        let c = a.withUnsafeBytes { x in b.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, n) } }
        if c != 0 { return c < 0 ? -1 : 1 }
    }
    return a.count < b.count ? -1 : (a.count > b.count ? 1 : 0)
}
