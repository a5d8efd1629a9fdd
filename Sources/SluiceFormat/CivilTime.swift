/// Calendar arithmetic on the proleptic Gregorian calendar, without Foundation.
///
/// DATE is stored as days since 1970-01-01, DATETIME as microseconds since 1970-01-01 00:00:00 of
/// the wall clock (no zone attached, as in StarRocks).
package enum CivilTime {
    package static let microsPerSecond: Int64 = 1_000_000
    package static let microsPerDay: Int64 = 86_400 * microsPerSecond

    /// Days since the epoch of a calendar date (Howard Hinnant's `days_from_civil`).
    @inlinable
    package static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The calendar date of a day number (`civil_from_days`).
    @inlinable
    package static func civil(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(m <= 2 ? y + 1 : y), Int(m), Int(d))
    }

    package static func isLeap(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    package static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Whether the fields name a real date within StarRocks' range (0000-01-01 … 9999-12-31).
    package static func isValid(year: Int, month: Int, day: Int) -> Bool {
        (0...9999).contains(year) && (1...12).contains(month) && day >= 1
            && day <= daysInMonth(year: year, month: month)
    }

    /// Day of week, 1 = Sunday … 7 = Saturday (MySQL `dayofweek`).
    package static func dayOfWeek(days: Int64) -> Int {
        // 1970-01-01 was a Thursday (5).
        let r = Int((days % 7 + 7) % 7)
        return (r + 4) % 7 + 1
    }

    /// Formats days as `YYYY-MM-DD`.
    package static func formatDate(_ days: Int64) -> String {
        let (y, m, d) = civil(days: days)
        var out = [UInt8]()
        out.reserveCapacity(10)
        appendDate(y, m, d, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Formats microseconds as `YYYY-MM-DD HH:MM:SS[.ffffff]` (fraction only when non-zero).
    package static func formatDateTime(_ micros: Int64) -> String {
        var out = [UInt8]()
        out.reserveCapacity(26)
        appendDateTime(micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    package static func appendDate(_ y: Int, _ m: Int, _ d: Int, to out: inout [UInt8]) {
        appendPadded(y, width: 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(m, width: 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendPadded(d, width: 2, to: &out)
    }

    package static func appendDateTime(_ micros: Int64, to out: inout [UInt8]) {
        let (days, rest) = floorDivide(micros, microsPerDay)
        let (y, m, d) = civil(days: days)
        appendDate(y, m, d, to: &out)
        let seconds = Int(rest / microsPerSecond)
        out.append(UInt8(ascii: " "))
        appendPadded(seconds / 3600, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds / 60 % 60, width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendPadded(seconds % 60, width: 2, to: &out)
        let fraction = Int(rest % microsPerSecond)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            appendPadded(fraction, width: 6, to: &out)
        }
    }

    @inlinable
    package static func appendPadded(_ value: Int, width: Int, to out: inout [UInt8]) {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var v = abs(value)
        var i = width - 1
        while v > 0 && i >= 0 {
            digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
            v /= 10
            i -= 1
        }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: digits)
    }

    /// Floor division and non-negative remainder.
    @inlinable
    package static func floorDivide(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b
        var r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    /// Parses `YYYY-MM-DD`, `YYYYMMDD`, `YYYY/MM/DD` or a datetime (time part ignored) into days.
    package static func parseDate(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let micros = parseDateTime(bytes) else { return nil }
        return floorDivide(micros, microsPerDay).0
    }

    /// Parses `YYYY-MM-DD[( |T)HH:MM[:SS[.ffffff]]]`, `YYYYMMDD[HHMMSS]` and `/` separators into
    /// microseconds. Returns `nil` for anything else or an impossible date.
    package static func parseDateTime(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let n = bytes.count
        func digits(_ maxCount: Int) -> Int? {
            var value = 0
            var count = 0
            while i < n, count < maxCount, bytes[i] &- 48 < 10 {
                value = value * 10 + Int(bytes[i] &- 48)
                i += 1
                count += 1
            }
            return count == 0 ? nil : value
        }
        // Compact forms: 8 or 14 digits.
        if n == 8 || n == 14, bytes.allSatisfy({ $0 &- 48 < 10 }) {
            func at(_ s: Int, _ len: Int) -> Int {
                var v = 0
                for k in s..<(s + len) { v = v * 10 + Int(bytes[k] - 48) }
                return v
            }
            let y = at(0, 4), m = at(4, 2), d = at(6, 2)
            guard isValid(year: y, month: m, day: d) else { return nil }
            var micros = days(year: y, month: m, day: d) * microsPerDay
            if n == 14 {
                let hh = at(8, 2), mm = at(10, 2), ss = at(12, 2)
                guard hh < 24, mm < 60, ss < 60 else { return nil }
                micros += Int64(hh * 3600 + mm * 60 + ss) * microsPerSecond
            }
            return micros
        }
        guard let y = digits(4), i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "/") else {
            return nil
        }
        let separator = bytes[i]
        i += 1
        guard let m = digits(2), i < n, bytes[i] == separator else { return nil }
        i += 1
        guard let d = digits(2), isValid(year: y, month: m, day: d) else { return nil }
        var micros = days(year: y, month: m, day: d) * microsPerDay
        if i == n { return micros }
        guard bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "T") else { return nil }
        i += 1
        guard let hh = digits(2), hh < 24, i < n, bytes[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        guard let mm = digits(2), mm < 60 else { return nil }
        var ss = 0
        var fraction = 0
        if i < n, bytes[i] == UInt8(ascii: ":") {
            i += 1
            guard let s = digits(2), s < 60 else { return nil }
            ss = s
            if i < n, bytes[i] == UInt8(ascii: ".") {
                i += 1
                let start = i
                guard let f = digits(9) else { return nil }
                var scaled = f
                var len = i - start
                while len < 6 { scaled *= 10; len += 1 }
                while len > 6 { scaled /= 10; len -= 1 }
                fraction = scaled
            }
        }
        guard i == n else { return nil }
        micros += Int64(hh * 3600 + mm * 60 + ss) * microsPerSecond + Int64(fraction)
        return micros
    }

    package static func parseDateTime(_ string: String) -> Int64? {
        var s = string
        return s.withUTF8 { parseDateTime($0) }
    }

    package static func parseDate(_ string: String) -> Int64? {
        var s = string
        return s.withUTF8 { parseDate($0) }
    }
}

extension CivilTime {
    /// Truncates microseconds to the start of `unit` (`second`…`year`; weeks start on Monday).
    /// - Returns: `nil` for an unknown unit.
    package static func truncate(micros: Int64, unit: String) -> Int64? {
        let (days, rest) = floorDivide(micros, microsPerDay)
        switch unit.lowercased() {
        case "second": return micros - floorDivide(micros, microsPerSecond).1
        case "minute": return days * microsPerDay + rest / 60_000_000 * 60_000_000
        case "hour": return days * microsPerDay + rest / 3_600_000_000 * 3_600_000_000
        case "day": return days * microsPerDay
        case "week":
            let weekday = (dayOfWeek(days: days) + 5) % 7  // Monday = 0
            return (days - Int64(weekday)) * microsPerDay
        case "month":
            let (y, m, _) = civil(days: days)
            return self.days(year: y, month: m, day: 1) * microsPerDay
        case "quarter":
            let (y, m, _) = civil(days: days)
            return self.days(year: y, month: (m - 1) / 3 * 3 + 1, day: 1) * microsPerDay
        case "year":
            let (y, _, _) = civil(days: days)
            return self.days(year: y, month: 1, day: 1) * microsPerDay
        default: return nil
        }
    }

    /// The start of the `unit` after the one starting at `micros` (already truncated).
    package static func advance(micros: Int64, unit: String) -> Int64? {
        let (days, _) = floorDivide(micros, microsPerDay)
        switch unit.lowercased() {
        case "second": return micros + microsPerSecond
        case "minute": return micros + 60 * microsPerSecond
        case "hour": return micros + 3600 * microsPerSecond
        case "day": return micros + microsPerDay
        case "week": return micros + 7 * microsPerDay
        case "month", "quarter", "year":
            let (y, m, _) = civil(days: days)
            let step = unit == "month" ? 1 : unit == "quarter" ? 3 : 12
            let total = y * 12 + (m - 1) + step
            return self.days(year: total / 12, month: total % 12 + 1, day: 1) * microsPerDay
        default: return nil
        }
    }
}
