package import SluiceFormat

/// Converts columns between types: the one conversion routine for CAST, implicit coercion and
/// load-time conversion of text fields.
///
/// A non-NULL input that cannot be represented in the target type becomes NULL; its row index is
/// appended to `failures` when the caller tracks them (strict mode counts those rows as filtered).
package enum CastKernel {
    package static func cast(_ input: ColumnVector, to target: ColumnType) -> ColumnVector {
        var ignored: [Int]? = nil
        return cast(input, to: target, failures: &ignored)
    }

    package static func cast(_ input: ColumnVector, to target: ColumnType, failures: inout [Int]?) -> ColumnVector {
        let source = input.type
        if source == target { return input }
        var out = ColumnVector(type: target, capacity: input.count)
        out.nulls = []
        let n = input.count
        func fail(_ row: Int) {
            failures?.append(row)
            out.appendNull()
        }
        // Same lane, compatible domain: retag or range-check without conversion.
        switch (source.physical, target.physical) {
        case (.int64, .int64) where source.isInteger && target.isInteger:
            let range = target.integerRange!
            if source.integerRange.map({ range.contains($0.lowerBound) && range.contains($0.upperBound) }) ?? false {
                var retagged = input
                retagged.type = target
                return retagged
            }
            for r in 0..<n {
                if input.isNull(r) { out.appendNull(); continue }
                let v = input.ints[r]
                if target == .boolean { out.appendInt(v != 0 ? 1 : 0); continue }
                if range.contains(v) { out.appendInt(v) } else { fail(r) }
            }
            return out
        case (.int128, .int128):
            if case .decimal(let p1, let s1) = source, case .decimal(let p2, let s2) = target {
                if s1 == s2, p2 >= p1 {
                    var retagged = input
                    retagged.type = target
                    return retagged
                }
                let limit = DecimalArithmetic.maxUnscaled(precision: p2)
                for r in 0..<n {
                    if input.isNull(r) { out.appendNull(); continue }
                    if let v = DecimalArithmetic.rescale(input.wides[r], from: s1, to: s2),
                        v.magnitude <= limit.magnitude
                    {
                        out.appendWide(v)
                    } else {
                        fail(r)
                    }
                }
                return out
            }
        case (.bytes, .bytes):
            // Text into ARRAY<T>: parsed and written canonically, element by element (below).
            if case .array = target, source != target { break }
            if target == .json || target == .string || source == .json {
                var retagged = input
                retagged.type = target
                return retagged
            }
            guard let limit = target.maxLength else { return input }
            for r in 0..<n {
                if input.isNull(r) { out.appendNull(); continue }
                let slice = input.byteSlice(r)
                if slice.count <= limit { out.appendBytes(slice) } else { fail(r) }
            }
            return out
        default:
            break
        }
        if source.physical == .bytes {
            input.bytes.withUnsafeBufferPointer { all in
                for r in 0..<n {
                    if input.isNull(r) { out.appendNull(); continue }
                    let text = UnsafeBufferPointer(rebasing: all[input.offsets[r]..<input.offsets[r + 1]])
                    switch target.physical {
                    case .int64 where target.isInteger && target != .boolean:
                        if let v = ValueParser.parseInt64(text), target.integerRange!.contains(v) {
                            out.appendInt(v)
                            continue
                        }
                        fallthrough
                    default:
                        switch ValueParser.parse(text, as: target) {
                        case .success(let value): out.append(value)
                        case .failure:
                            // Integers also accept decimal text ("1.0"), as StarRocks does.
                            if target.isInteger, let d = ValueParser.parseDouble(text), d == d.rounded(),
                                let v = Int64(exactly: d), target.integerRange?.contains(v) ?? true
                            {
                                out.appendInt(v)
                            } else {
                                fail(r)
                            }
                        }
                    }
                }
            }
            return out
        }
        for r in 0..<n {
            if input.isNull(r) {
                out.appendNull()
                continue
            }
            if let value = convert(input, r, to: target) { out.append(value) } else { fail(r) }
        }
        return out
    }

    /// Converts one non-null value of a non-string column.
    static func convert(_ input: ColumnVector, _ r: Int, to target: ColumnType) -> Value? {
        let source = input.type
        switch source.physical {
        case .int64:
            let v = input.ints[r]
            switch source {
            case .date:
                switch target {
                case .datetime: return .int(v * CivilTime.microsPerDay)
                case .char, .varchar, .string, .json: return textValue(CivilTime.formatDate(v), target)
                case .bigint, .largeint, .int:
                    let (y, m, d) = CivilTime.civil(days: v)
                    return integerValue(Int128(y * 10000 + m * 100 + d), target)
                default: return nil
                }
            case .datetime:
                switch target {
                case .date: return .int(CivilTime.floorDivide(v, CivilTime.microsPerDay).0)
                case .char, .varchar, .string, .json: return textValue(CivilTime.formatDateTime(v), target)
                case .bigint, .largeint:
                    let text = CivilTime.formatDateTime(v).filter(\.isNumber).prefix(14)
                    return integerValue(Int128(String(text)) ?? 0, target)
                default: return nil
                }
            default:
                return fromInteger(Int128(v), source: source, to: target)
            }
        case .int128:
            let v = input.wides[r]
            if case .decimal(_, let scale) = source { return fromDecimal(v, scale: scale, to: target) }
            return fromInteger(v, source: source, to: target)
        case .float64:
            return fromDouble(input.doubles[r], to: target)
        case .bytes:
            return nil
        }
    }

    static func textValue(_ text: String, _ target: ColumnType) -> Value? {
        let bytes = Array(text.utf8)
        if let limit = target.maxLength, target != .string, bytes.count > limit { return nil }
        return .bytes(bytes)
    }

    static func integerValue(_ v: Int128, _ target: ColumnType) -> Value? {
        switch target.physical {
        case .int64:
            guard let narrow = Int64(exactly: v) else { return nil }
            if target == .boolean { return .int(narrow != 0 ? 1 : 0) }
            guard target.integerRange?.contains(narrow) ?? true else { return nil }
            return .int(narrow)
        case .int128:
            if case .decimal(let p, let s) = target {
                guard let scaled = DecimalArithmetic.rescale(v, from: 0, to: s),
                    scaled.magnitude <= DecimalArithmetic.maxUnscaled(precision: p).magnitude
                else { return nil }
                return .wide(scaled)
            }
            return .wide(v)
        case .float64: return .double(Double(v))
        case .bytes: return textValue(String(v), target)
        }
    }

    static func fromInteger(_ v: Int128, source: ColumnType, to target: ColumnType) -> Value? {
        if source == .boolean, target.isString { return textValue(v != 0 ? "1" : "0", target) }
        switch target {
        case .date, .datetime:
            // 20240115 → date, as StarRocks casts integers.
            let text = String(v)
            return CivilTime.parseDateTime(text).map { target == .date ? .int($0 / CivilTime.microsPerDay) : .int($0) }
        default:
            return integerValue(v, target)
        }
    }

    static func fromDecimal(_ v: Int128, scale: Int, to target: ColumnType) -> Value? {
        switch target {
        case .decimal(let p, let s):
            guard let scaled = DecimalArithmetic.rescale(v, from: scale, to: s),
                scaled.magnitude <= DecimalArithmetic.maxUnscaled(precision: p).magnitude
            else { return nil }
            return .wide(scaled)
        case .float, .double: return .double(DecimalArithmetic.toDouble(v, scale: scale))
        case .char, .varchar, .string, .json: return textValue(DecimalArithmetic.format(v, scale: scale), target)
        case .boolean: return .int(v != 0 ? 1 : 0)
        default:
            return integerValue(v / DecimalArithmetic.powersOfTen[scale], target)
        }
    }

    static func fromDouble(_ d: Double, to target: ColumnType) -> Value? {
        guard d.isFinite else {
            return target.physical == .float64
                ? .double(d) : (target.isString ? textValue(Value.formatDouble(d), target) : nil)
        }
        switch target {
        case .float, .double: return .double(d)
        case .decimal(let p, let s):
            let scaled = (d * Double(DecimalArithmetic.powersOfTen[min(s, 30)])).rounded()
            guard abs(scaled) < 1e38, let v = Int128(exactly: scaled),
                v.magnitude <= DecimalArithmetic.maxUnscaled(precision: p).magnitude
            else { return nil }
            return .wide(v)
        case .char, .varchar, .string, .json: return textValue(Value.formatDouble(d), target)
        case .boolean: return .int(d != 0 ? 1 : 0)
        case .date, .datetime: return nil
        default:
            guard abs(d) < 1.7e38 else { return nil }
            return integerValue(Int128(d.rounded(.towardZero)), target)
        }
    }
}
