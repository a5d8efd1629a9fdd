/// Text → value conversion for one column type: the rules loads and literals share.
package enum ValueParser {
    /// Why a text did not convert.
    package enum Failure: Error, Sendable, Equatable {
        case invalid
        case outOfRange
        case tooLong
    }

    /// Parses `text` as a value of `type`.
    package static func parse(_ text: UnsafeBufferPointer<UInt8>, as type: ColumnType) -> Result<Value, Failure> {
        switch type {
        case .boolean:
            if let v = parseBool(text) { return .success(.int(v ? 1 : 0)) }
            return .failure(.invalid)
        case .tinyint, .smallint, .int, .bigint:
            guard let v = parseInt64(text) else {
                return isIntegerLike(text) ? .failure(.outOfRange) : .failure(.invalid)
            }
            guard type.integerRange!.contains(v) else { return .failure(.outOfRange) }
            return .success(.int(v))
        case .largeint:
            guard let v = Int128(String(decoding: trimmed(text), as: UTF8.self)) else { return .failure(.invalid) }
            return .success(.wide(v))
        case .float, .double:
            guard let v = parseDouble(text) else { return .failure(.invalid) }
            if type == .float, v.isFinite, abs(v) > Double(Float.greatestFiniteMagnitude) {
                return .failure(.outOfRange)
            }
            return .success(.double(v))
        case .decimal(let precision, let scale):
            let t = trimmed(text)
            return t.withUnsafeBufferPointer { buffer in
                if let v = DecimalArithmetic.parse(buffer, precision: precision, scale: scale) {
                    return .success(.wide(v))
                }
                return parseDouble(buffer) == nil ? .failure(.invalid) : .failure(.outOfRange)
            }
        case .date:
            guard let v = CivilTime.parseDate(text) else { return .failure(.invalid) }
            return .success(.int(v))
        case .datetime:
            guard let v = CivilTime.parseDateTime(text) else { return .failure(.invalid) }
            return .success(.int(v))
        case .char(let n), .varchar(let n):
            guard text.count <= n else { return .failure(.tooLong) }
            return .success(.bytes(Array(text)))
        case .string:
            guard text.count <= ColumnType.stringLength * 16 else { return .failure(.tooLong) }
            return .success(.bytes(Array(text)))
        case .json:
            return .success(.bytes(Array(text)))
        case .array(let element):
            return ArrayText.canonical(text, element: element).map { .bytes($0) }
        }
    }

    package static func parse(_ text: String, as type: ColumnType) -> Result<Value, Failure> {
        var s = text
        return s.withUTF8 { parse($0, as: type) }
    }

    static func trimmed(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var start = 0
        var end = text.count
        while start < end, text[start] == 32 || text[start] == 9 { start += 1 }
        while end > start, text[end - 1] == 32 || text[end - 1] == 9 { end -= 1 }
        return Array(text[start..<end])
    }

    /// `true`/`false` in any case, or `1`/`0`.
    @inlinable
    package static func parseBool(_ text: UnsafeBufferPointer<UInt8>) -> Bool? {
        if text.count == 1 {
            if text[0] == UInt8(ascii: "1") { return true }
            if text[0] == UInt8(ascii: "0") { return false }
            return nil
        }
        if text.count == 4, text[0] | 0x20 == UInt8(ascii: "t"), text[1] | 0x20 == UInt8(ascii: "r"),
            text[2] | 0x20 == UInt8(ascii: "u"), text[3] | 0x20 == UInt8(ascii: "e")
        {
            return true
        }
        if text.count == 5, text[0] | 0x20 == UInt8(ascii: "f"), text[1] | 0x20 == UInt8(ascii: "a"),
            text[2] | 0x20 == UInt8(ascii: "l"), text[3] | 0x20 == UInt8(ascii: "s"),
            text[4] | 0x20 == UInt8(ascii: "e")
        {
            return false
        }
        return nil
    }

    /// A decimal integer with optional sign and surrounding spaces; nil on overflow or junk.
    @inlinable
    package static func parseInt64(_ text: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        var n = text.count
        while i < n, text[i] == 32 { i += 1 }
        while n > i, text[n - 1] == 32 { n -= 1 }
        guard i < n else { return nil }
        var negative = false
        if text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+") {
            negative = text[i] == UInt8(ascii: "-")
            i += 1
            guard i < n else { return nil }
        }
        var value: Int64 = 0
        while i < n {
            let d = text[i] &- 48
            guard d < 10 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return value
    }

    static func isIntegerLike(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let t = trimmed(text)
        guard !t.isEmpty else { return false }
        let digits = (t[0] == UInt8(ascii: "-") || t[0] == UInt8(ascii: "+")) ? t.dropFirst() : t[...]
        return !digits.isEmpty && digits.allSatisfy { $0 &- 48 < 10 }
    }

    /// A floating-point number (`1.5`, `-2e10`, `inf`, `nan` excluded).
    package static func parseDouble(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let t = trimmed(text)
        guard !t.isEmpty, t.allSatisfy({ ($0 &- 48 < 10) || $0 == 46 || $0 == 45 || $0 == 43 || $0 | 0x20 == 101 })
        else { return nil }
        return Double(String(decoding: t, as: UTF8.self))
    }
}
