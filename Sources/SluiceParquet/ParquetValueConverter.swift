import SluiceExpr
import SluiceFormat
import SluiceLoad

/// Turns Parquet values into a source column: straight into the table column's type where the
/// value's meaning allows (integers, dates, timestamps, decimals, doubles, strings), otherwise
/// through their canonical text and the load's own field rules (``FieldParser``), so a Parquet
/// file converts exactly as the same values written in a CSV file would. A value that does not
/// convert becomes NULL, and ``failedText`` says what it was (the error log's words).
struct ParquetValueConverter {
    let column: ParquetColumn
    /// The column type values arrive in (`.string` for a field only expressions read).
    let target: ColumnType
    let timeZone: SessionTimeZone
    /// The text of the last value that did not convert.
    private(set) var failedText = ""
    private var scratch = [UInt8]()
    /// Offsets of the session time zone by UTC hour (conversion of UTC timestamps is per value).
    private var zoneOffsets = [Int64: Int64]()

    init(column: ParquetColumn, target: ColumnType, timeZone: SessionTimeZone) {
        self.column = column
        self.target = target
        self.timeZone = timeZone
        scratch.reserveCapacity(64)
    }

    // MARK: Integers (INT32, INT64, BOOLEAN as 0/1)

    @inline(__always)
    mutating func append(int value: Int64, to out: inout ColumnVector) -> Bool {
        switch column.logical {
        case .date:
            if target == .date, (-719_528...2_932_896).contains(value) {
                out.appendInt(value)
                return true
            }
            guard value.magnitude < UInt64(Self.maxMicros / 86_400_000_000) else { return outOfRange(value, &out) }
            return viaText(to: &out) { CivilTime.appendDate(days: value, to: &$0) }
        case .timestamp(let utc, let unit):
            var micros = Self.micros(value, unit)
            guard micros.magnitude < UInt64(Self.maxMicros) else { return outOfRange(value, &out) }
            if utc { micros = local(micros) }
            return append(micros: micros, to: &out)
        case .time(let unit):
            let micros = Self.micros(value, unit)
            guard micros.magnitude < UInt64(Self.maxMicros) else { return outOfRange(value, &out) }
            return viaText(to: &out) { Self.appendTime(micros, to: &$0) }
        case .decimal(_, let scale):
            return append(unscaled: Int128(value), scale: scale, to: &out)
        case .integer(64, false) where value < 0:
            return append(wide: Int128(UInt64(bitPattern: value)), to: &out)
        case .integer(32, false) where column.physical == .int32 && value < 0:
            return append(int: Int64(UInt32(truncatingIfNeeded: value)), plain: true, to: &out)
        default:
            return append(int: value, plain: true, to: &out)
        }
    }

    @inline(__always)
    private mutating func append(int value: Int64, plain: Bool, to out: inout ColumnVector) -> Bool {
        switch target {
        case .tinyint, .smallint, .int, .bigint, .boolean:
            if target.integerRange!.contains(value) {
                out.appendInt(value)
                return true
            }
            out.appendNull()
            failedText = String(value)
            return false
        case .largeint:
            out.appendWide(Int128(value))
            return true
        case .double, .float:
            out.appendDouble(Double(value))
            return true
        default:
            return viaText(to: &out) { Self.appendDecimal(Int128(value), to: &$0) }
        }
    }

    private mutating func append(wide value: Int128, to out: inout ColumnVector) -> Bool {
        if target == .largeint {
            out.appendWide(value)
            return true
        }
        return viaText(to: &out) { Self.appendDecimal(value, to: &$0) }
    }

    private mutating func append(micros: Int64, to out: inout ColumnVector) -> Bool {
        switch target {
        case .datetime:
            out.appendInt(micros)
            return true
        case .date:
            out.appendInt(CivilTime.floorDivide(micros, 86_400_000_000).0)
            return true
        default:
            return viaText(to: &out) { CivilTime.appendDateTime(micros, to: &$0) }
        }
    }

    /// A decimal's unscaled value: rescaled into a DECIMAL column when no digit is lost, else
    /// through its text (rounding and range by the load's rules).
    mutating func append(unscaled: Int128, scale: Int, to out: inout ColumnVector) -> Bool {
        if case .decimal(let precision, let targetScale) = target, targetScale >= scale, targetScale - scale <= 38 {
            let (scaled, overflow) = unscaled.multipliedReportingOverflow(by: Self.power(targetScale - scale))
            if !overflow, scaled.magnitude < Self.power(precision).magnitude {
                out.appendWide(scaled)
                return true
            }
        }
        return viaText(to: &out) { Self.appendDecimal(unscaled, scale: scale, to: &$0) }
    }

    // MARK: Floating point

    @inline(__always)
    mutating func append(double value: Double, to out: inout ColumnVector) -> Bool {
        switch target {
        case .double, .float:
            out.appendDouble(value)
            return true
        default:
            return viaText(to: &out) { $0.append(contentsOf: Self.text(value).utf8) }
        }
    }

    // MARK: Byte arrays

    mutating func append(bytes: UnsafeRawBufferPointer, to out: inout ColumnVector) -> Bool {
        if case .decimal(_, let scale) = column.logical {
            guard let unscaled = Self.bigEndian(bytes) else {
                out.appendNull()
                failedText = "a decimal of \(bytes.count) bytes"
                return false
            }
            return append(unscaled: unscaled, scale: scale, to: &out)
        }
        if column.logical == .uuid, bytes.count == 16 {
            return viaText(to: &out) { Self.appendUUID(bytes, to: &$0) }
        }
        if FieldParser.append(bytes, to: &out) { return true }
        failedText = String(decoding: bytes, as: UTF8.self)
        return false
    }

    /// INT96: nanoseconds of the day and a Julian day, little-endian; treated as UTC.
    mutating func append(int96 bytes: UnsafeRawBufferPointer, to out: inout ColumnVector) -> Bool {
        var nanos: UInt64 = 0
        for i in 0..<8 { nanos |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        var julian: UInt32 = 0
        for i in 0..<4 { julian |= UInt32(bytes[8 + i]) << (8 * UInt32(i)) }
        let (days, overflow) = (Int64(julian) - 2_440_588).multipliedReportingOverflow(by: 86_400_000_000)
        let (micros, late) = days.addingReportingOverflow(Int64(nanos / 1000))
        guard !overflow, !late, micros.magnitude < UInt64(Self.maxMicros) else {
            out.appendNull()
            failedText = "an INT96 timestamp out of range (Julian day \(julian))"
            return false
        }
        return append(micros: local(micros), to: &out)
    }

    // MARK: Helpers

    /// Dates and times further than this from the epoch (about ±29,000 years) are not read.
    static let maxMicros: Int64 = 1 << 59

    private mutating func outOfRange(_ value: Int64, _ out: inout ColumnVector) -> Bool {
        out.appendNull()
        failedText = String(value)
        return false
    }

    /// Renders the value with `render`, then converts the text by the load's field rules.
    @inline(__always)
    private mutating func viaText(to out: inout ColumnVector, _ render: (inout [UInt8]) -> Void) -> Bool {
        scratch.removeAll(keepingCapacity: true)
        render(&scratch)
        let ok = scratch.withUnsafeBytes { FieldParser.append($0, to: &out) }
        if !ok { failedText = String(decoding: scratch, as: UTF8.self) }
        return ok
    }

    /// UTC microseconds in the session time zone (offsets looked up once per hour of time).
    private mutating func local(_ utc: Int64) -> Int64 {
        if timeZone == .utc { return utc }
        let hour = CivilTime.floorDivide(utc, 3_600_000_000).0
        if let offset = zoneOffsets[hour] { return utc + offset }
        let offset = timeZone.toLocal(utcMicros: utc) - utc
        if zoneOffsets.count > 100_000 { zoneOffsets.removeAll() }
        zoneOffsets[hour] = offset
        return utc + offset
    }

    static func micros(_ value: Int64, _ unit: ParquetLogicalType.TimeUnit) -> Int64 {
        switch unit {
        case .millis: value.multipliedReportingOverflow(by: 1000).overflow ? .max : value * 1000
        case .micros: value
        case .nanos: CivilTime.floorDivide(value, 1000).0
        }
    }

    /// 10^n for n in 0...38.
    @inline(__always)
    static func power(_ n: Int) -> Int128 { powers[min(max(n, 0), 38)] }

    private static let powers: [Int128] = {
        var table = [Int128(1)]
        for _ in 1...38 { table.append(table.last! * 10) }
        return table
    }()

    /// A big-endian two's complement integer of up to 16 bytes.
    static func bigEndian(_ bytes: UnsafeRawBufferPointer) -> Int128? {
        guard !bytes.isEmpty, bytes.count <= 16 else { return bytes.isEmpty ? 0 : nil }
        var value: Int128 = bytes[0] & 0x80 != 0 ? -1 : 0
        for b in bytes { value = (value << 8) | Int128(b) }
        return value
    }

    /// The text StarRocks prints for a DOUBLE: integral values without a fraction.
    static func text(_ value: Double) -> String { Value.formatDouble(value) }

    static func appendDecimal(_ value: Int128, scale: Int = 0, to out: inout [UInt8]) {
        out.append(contentsOf: DecimalArithmetic.format(value, scale: scale).utf8)
    }

    static func appendTime(_ micros: Int64, to out: inout [UInt8]) {
        let (seconds, fraction) = CivilTime.floorDivide(micros, 1_000_000)
        CivilTime.appendPadded(Int(seconds / 3600), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        CivilTime.appendPadded(Int(seconds / 60 % 60), width: 2, to: &out)
        out.append(UInt8(ascii: ":"))
        CivilTime.appendPadded(Int(seconds % 60), width: 2, to: &out)
        if fraction > 0 {
            out.append(UInt8(ascii: "."))
            CivilTime.appendPadded(Int(fraction), width: 6, to: &out)
        }
    }

    static func appendUUID(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        for (i, b) in bytes.enumerated() {
            if [4, 6, 8, 10].contains(i) { out.append(UInt8(ascii: "-")) }
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
    }
}

extension CivilTime {
    /// Appends `YYYY-MM-DD` of a day number.
    static func appendDate(days: Int64, to out: inout [UInt8]) {
        let (y, m, d) = civil(days: days)
        appendDate(y, m, d, to: &out)
    }
}
