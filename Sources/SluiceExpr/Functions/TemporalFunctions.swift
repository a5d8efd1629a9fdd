import SluiceFormat

/// Date and time functions. DATETIME values are wall-clock microseconds in the session zone.
enum TemporalFunctions {
    static func resolve(_ name: String, _ types: [ColumnType], position: Int?) throws(ExprError) -> FunctionBinding {
        func arity(_ range: ClosedRange<Int>) throws(ExprError) {
            guard range.contains(types.count) else {
                throw ExprError(
                    .typeMismatch,
                    "No matching function with signature: \(name)(\(types.map(\.sqlName).joined(separator: ", ")))",
                    position: position)
            }
        }
        func bind(
            _ args: [ColumnType], _ result: ColumnType,
            _ body: @escaping @Sendable ([Value], EvaluationContext) -> Value
        ) -> FunctionBinding {
            FunctionBinding(
                function: FunctionLibrary.rowwise(name, result, body), argumentTypes: args, resultType: result)
        }
        switch name {
        case "year", "month", "day", "dayofmonth", "hour", "minute", "second", "quarter", "dayofweek", "dayofyear":
            try arity(1...1)
            let t = temporal(types[0])
            return bind([t], name == "year" ? .smallint : .tinyint) { v, _ in
                guard let m = micros(v[0], t) else { return .null }
                let (days, rest) = CivilTime.floorDivide(m, CivilTime.microsPerDay)
                let (y, mo, d) = CivilTime.civil(days: days)
                let seconds = rest / CivilTime.microsPerSecond
                switch name {
                case "year": return .int(Int64(y))
                case "month": return .int(Int64(mo))
                case "quarter": return .int(Int64((mo - 1) / 3 + 1))
                case "day", "dayofmonth": return .int(Int64(d))
                case "dayofweek": return .int(Int64(CivilTime.dayOfWeek(days: days)))
                case "dayofyear": return .int(days - CivilTime.days(year: y, month: 1, day: 1) + 1)
                case "hour": return .int(seconds / 3600)
                case "minute": return .int(seconds / 60 % 60)
                default: return .int(seconds % 60)
                }
            }
        case "date_trunc":
            try arity(2...2)
            let t = temporal(types[1])
            return bind([.string, t], t) { v, _ in
                guard let unit = v[0].stringValue, let m = micros(v[1], t),
                    let truncated = CivilTime.truncate(micros: m, unit: unit)
                else { return .null }
                return .int(t == .date ? truncated / CivilTime.microsPerDay : truncated)
            }
        case "date", "to_date":
            try arity(1...1)
            return bind([temporal(types[0])], .date) { v, _ in
                guard let m = micros(v[0], temporal(types[0])) else { return .null }
                return .int(CivilTime.floorDivide(m, CivilTime.microsPerDay).0)
            }
        case "date_format":
            try arity(2...2)
            let t = temporal(types[0])
            return bind([t, .string], .varchar(length: 128)) { v, _ in
                guard let m = micros(v[0], t), let pattern = v[1].stringValue else { return .null }
                return .string(format(micros: m, with: pattern))
            }
        case "str_to_date":
            try arity(2...2)
            return bind([.string, .string], .datetime) { v, _ in
                guard let text = v[0].stringValue, let format = v[1].stringValue,
                    let m = parse(text, format: format)
                else { return .null }
                return .int(m)
            }
        case "from_unixtime":
            try arity(1...2)
            return bind([.bigint] + (types.count > 1 ? [.string] : []), .varchar(length: 64)) { v, context in
                guard case .int(let seconds) = v[0], seconds >= 0 else { return .null }
                let local = context.timeZone.toLocal(utcMicros: seconds * CivilTime.microsPerSecond)
                if v.count > 1 {
                    guard let f = v[1].stringValue else { return .null }
                    return .string(format(micros: local, with: f))
                }
                return .string(CivilTime.formatDateTime(local))
            }
        case "unix_timestamp":
            try arity(0...1)
            if types.isEmpty {
                return bind([], .bigint) { _, context in .int(context.nowMicros / CivilTime.microsPerSecond) }
            }
            let t = temporal(types[0])
            return bind([t], .bigint) { v, context in
                guard let m = micros(v[0], t) else { return .null }
                return .int(CivilTime.floorDivide(context.timeZone.toUTC(localMicros: m), CivilTime.microsPerSecond).0)
            }
        case "now", "current_timestamp", "localtime", "localtimestamp":
            try arity(0...1)
            return bind(types.map { _ in .bigint }, .datetime) { _, context in
                let local = context.timeZone.toLocal(utcMicros: context.nowMicros)
                return .int(local - CivilTime.floorDivide(local, CivilTime.microsPerSecond).1)
            }
        case "curdate", "current_date":
            try arity(0...0)
            return bind([], .date) { _, context in
                .int(
                    CivilTime.floorDivide(
                        context.timeZone.toLocal(utcMicros: context.nowMicros), CivilTime.microsPerDay
                    ).0)
            }
        default:
            throw ExprError(
                .unknownFunction,
                "No matching function with signature: \(name)(\(types.map(\.sqlName).joined(separator: ", ")))",
                position: position)
        }
    }

    /// Temporal argument type: DATE stays DATE, everything else is read as DATETIME.
    static func temporal(_ t: ColumnType) -> ColumnType { t == .date ? .date : .datetime }

    static func micros(_ v: Value, _ t: ColumnType) -> Int64? {
        guard case .int(let x) = v else { return nil }
        return t == .date ? x * CivilTime.microsPerDay : x
    }

    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September",
        "October", "November", "December",
    ]
    static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// MySQL `date_format` specifiers.
    static func format(micros: Int64, with format: String) -> String {
        let (days, rest) = CivilTime.floorDivide(micros, CivilTime.microsPerDay)
        let (y, m, d) = CivilTime.civil(days: days)
        let seconds = Int(rest / CivilTime.microsPerSecond)
        let (hh, mi, ss) = (seconds / 3600, seconds / 60 % 60, seconds % 60)
        func pad(_ v: Int, _ w: Int) -> String {
            var out = [UInt8]()
            CivilTime.appendPadded(v, width: w, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        var out = ""
        var chars = format.makeIterator()
        while let c = chars.next() {
            guard c == "%" else {
                out.append(c)
                continue
            }
            guard let spec = chars.next() else { break }
            switch spec {
            case "Y": out += pad(y, 4)
            case "y": out += pad(y % 100, 2)
            case "m": out += pad(m, 2)
            case "c": out += String(m)
            case "d": out += pad(d, 2)
            case "e": out += String(d)
            case "H": out += pad(hh, 2)
            case "k": out += String(hh)
            case "h", "I": out += pad(hh % 12 == 0 ? 12 : hh % 12, 2)
            case "l": out += String(hh % 12 == 0 ? 12 : hh % 12)
            case "i": out += pad(mi, 2)
            case "s", "S": out += pad(ss, 2)
            case "f": out += pad(Int(rest % CivilTime.microsPerSecond), 6)
            case "p": out += hh < 12 ? "AM" : "PM"
            case "M": out += monthNames[m - 1]
            case "b": out += String(monthNames[m - 1].prefix(3))
            case "W": out += dayNames[CivilTime.dayOfWeek(days: days) - 1]
            case "a": out += String(dayNames[CivilTime.dayOfWeek(days: days) - 1].prefix(3))
            case "j": out += pad(Int(days - CivilTime.days(year: y, month: 1, day: 1)) + 1, 3)
            case "T": out += "\(pad(hh, 2)):\(pad(mi, 2)):\(pad(ss, 2))"
            case "r":
                out += "\(pad(hh % 12 == 0 ? 12 : hh % 12, 2)):\(pad(mi, 2)):\(pad(ss, 2)) \(hh < 12 ? "AM" : "PM")"
            default: out.append(spec)
            }
        }
        return out
    }

    /// Parses `text` with MySQL `str_to_date` specifiers into wall-clock microseconds.
    static func parse(_ text: String, format: String) -> Int64? {
        let t = Array(text.utf8)
        var i = 0
        var (y, m, d, hh, mi, ss, frac) = (1970, 1, 1, 0, 0, 0, 0)
        var pm: Bool?
        func number(_ maxDigits: Int) -> Int? {
            var v = 0, count = 0
            while i < t.count, count < maxDigits, t[i] &- 48 < 10 {
                v = v * 10 + Int(t[i] - 48)
                i += 1
                count += 1
            }
            return count == 0 ? nil : v
        }
        var f = Array(format.utf8).makeIterator()
        while let c = f.next() {
            if c != 37 {
                if c == 32 { while i < t.count, t[i] == 32 { i += 1 }; continue }
                guard i < t.count, t[i] == c else { return nil }
                i += 1
                continue
            }
            guard let spec = f.next() else { break }
            switch spec {
            case UInt8(ascii: "Y"): guard let v = number(4) else { return nil }; y = v
            case UInt8(ascii: "y"): guard let v = number(2) else { return nil }; y = v < 70 ? 2000 + v : 1900 + v
            case UInt8(ascii: "m"), UInt8(ascii: "c"): guard let v = number(2) else { return nil }; m = v
            case UInt8(ascii: "d"), UInt8(ascii: "e"): guard let v = number(2) else { return nil }; d = v
            case UInt8(ascii: "H"), UInt8(ascii: "k"), UInt8(ascii: "h"), UInt8(ascii: "l"), UInt8(ascii: "I"):
                guard let v = number(2) else { return nil }; hh = v
            case UInt8(ascii: "i"): guard let v = number(2) else { return nil }; mi = v
            case UInt8(ascii: "s"), UInt8(ascii: "S"): guard let v = number(2) else { return nil }; ss = v
            case UInt8(ascii: "f"):
                let start = i
                guard var v = number(6) else { return nil }
                for _ in 0..<(6 - (i - start)) { v *= 10 }
                frac = v
            case UInt8(ascii: "p"):
                guard i + 1 < t.count else { return nil }
                pm = t[i] | 0x20 == UInt8(ascii: "p")
                i += 2
            case UInt8(ascii: "T"):
                guard let h = number(2), i < t.count, t[i] == 58 else { return nil }
                i += 1
                guard let mm = number(2), i < t.count, t[i] == 58 else { return nil }
                i += 1
                guard let s = number(2) else { return nil }
                (hh, mi, ss) = (h, mm, s)
            case UInt8(ascii: "%"):
                guard i < t.count, t[i] == 37 else { return nil }
                i += 1
            default: return nil
            }
        }
        if let pm { hh = hh % 12 + (pm ? 12 : 0) }
        guard CivilTime.isValid(year: y, month: m, day: d), hh < 24, mi < 60, ss < 60 else { return nil }
        return CivilTime.days(year: y, month: m, day: d) * CivilTime.microsPerDay
            + Int64(hh * 3600 + mi * 60 + ss) * CivilTime.microsPerSecond + Int64(frac)
    }
}
