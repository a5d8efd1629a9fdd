import NIOCore
import SluiceFormat

/// A batch's cells rendered as the text protocol's length-encoded strings, column by column into
/// one byte array (spec §3.3). Rendering a column is one tight loop over its raw arrays; rows are
/// then assembled by copying each column's cell — no per-cell type dispatch, no reference
/// counting, no intermediate strings for numbers and dates.
struct TextCells {
    /// Every cell, column after column.
    private(set) var bytes: [UInt8] = []
    /// Cell `r` of column `c` is `bytes[starts[c * (rows + 1) + r] ..< starts[c * (rows + 1) + r + 1]]`.
    private(set) var starts: [Int] = []
    let rows: Int
    let columns: Int

    init(_ batch: [ColumnVector], rows range: Range<Int>) {
        rows = range.count
        columns = batch.count
        let bound = batch.reduce(0) { $0 + Self.bound($1, range) }
        var starts = [Int](repeating: 0, count: columns * (rows + 1))
        bytes = [UInt8](unsafeUninitializedCapacity: bound) { buffer, written in
            var at = 0
            starts.withUnsafeMutableBufferPointer { starts in
                for (c, column) in batch.enumerated() {
                    at = Self.render(column, range, into: buffer, at: at, starts: starts, base: c * (rows + 1))
                }
            }
            written = at
        }
        self.starts = starts
    }

    /// The payload length of row `r` (its cells back to back).
    func rowLength(_ r: Int) -> Int {
        var length = 0
        for c in 0..<columns { length += starts[c * (rows + 1) + r + 1] - starts[c * (rows + 1) + r] }
        return length
    }

    /// Copies row `r`'s cells to `out`; returns the bytes written.
    func copyRow(_ r: Int, to out: UnsafeMutableRawBufferPointer) -> Int {
        bytes.withUnsafeBytes { source in
            starts.withUnsafeBufferPointer { starts in
                var at = 0
                for c in 0..<columns {
                    let from = starts[c * (rows + 1) + r]
                    let length = starts[c * (rows + 1) + r + 1] - from
                    out.baseAddress!.advanced(by: at).copyMemory(
                        from: source.baseAddress!.advanced(by: from), byteCount: length)
                    at += length
                }
                return at
            }
        }
    }

    /// Appends cell `column` of row `row`, length prefix included, to `buffer`.
    func appendCell(_ column: Int, _ row: Int, to buffer: inout ByteBuffer) {
        let from = starts[column * (rows + 1) + row]
        buffer.writeBytes(bytes[from..<starts[column * (rows + 1) + row + 1]])
    }

    // MARK: Rendering

    /// Bytes `column`'s cells in `range` take at most.
    private static func bound(_ column: ColumnVector, _ range: Range<Int>) -> Int {
        switch column.type {
        case .boolean, .tinyint, .smallint, .int, .bigint: range.count * 21
        case .date: range.count * 11
        case .datetime: range.count * 27
        case .decimal, .largeint: range.count * 44
        case .float, .double: range.count * 34
        case .char, .varchar, .string, .json, .array:
            column.offsets[range.upperBound] - column.offsets[range.lowerBound] + range.count * 9
        }
    }

    private static func render(
        _ column: ColumnVector, _ range: Range<Int>, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int,
        starts: UnsafeMutableBufferPointer<Int>, base: Int
    ) -> Int {
        var at = start
        let out = out.baseAddress!
        column.nulls.withUnsafeBufferPointer { nulls in
            func isNull(_ row: Int) -> Bool { !nulls.isEmpty && nulls[row] != 0 }
            switch column.type {
            case .boolean, .tinyint, .smallint, .int, .bigint:
                column.ints.withUnsafeBufferPointer { ints in
                    for (i, row) in range.enumerated() {
                        starts[base + i] = at
                        if isNull(row) { at = null(out, at) } else { at = integer(ints[row], out, at) }
                    }
                }
            case .date:
                column.ints.withUnsafeBufferPointer { ints in
                    for (i, row) in range.enumerated() {
                        starts[base + i] = at
                        if isNull(row) {
                            at = null(out, at)
                        } else {
                            out[at] = 10
                            at = date(ints[row], out, at + 1)
                        }
                    }
                }
            case .datetime:
                column.ints.withUnsafeBufferPointer { ints in
                    for (i, row) in range.enumerated() {
                        starts[base + i] = at
                        if isNull(row) { at = null(out, at) } else { at = dateTime(ints[row], out, at) }
                    }
                }
            case .decimal(_, let scale):
                column.wides.withUnsafeBufferPointer { wides in
                    for (i, row) in range.enumerated() {
                        starts[base + i] = at
                        if isNull(row) { at = null(out, at) } else { at = decimal(wides[row], scale, out, at) }
                    }
                }
            case .largeint:
                for (i, row) in range.enumerated() {
                    starts[base + i] = at
                    at = isNull(row) ? null(out, at) : text(String(column.wides[row]), out, at)
                }
            case .float, .double:
                let isFloat = column.type == .float
                for (i, row) in range.enumerated() {
                    starts[base + i] = at
                    at =
                        isNull(row)
                        ? null(out, at) : text(Value.formatDouble(column.doubles[row], isFloat: isFloat), out, at)
                }
            case .char, .varchar, .string, .json, .array:
                column.offsets.withUnsafeBufferPointer { offsets in
                    column.bytes.withUnsafeBufferPointer { bytes in
                        for (i, row) in range.enumerated() {
                            starts[base + i] = at
                            if isNull(row) {
                                at = null(out, at)
                                continue
                            }
                            let from = offsets[row]
                            let length = offsets[row + 1] - from
                            at = lenenc(UInt64(length), out, at)
                            if length > 0 { (out + at).update(from: bytes.baseAddress! + from, count: length) }
                            at += length
                        }
                    }
                }
            }
        }
        starts[base + range.count] = at
        return at
    }

    private static func null(_ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        out[at] = 0xFB
        return at + 1
    }

    private static func lenenc(_ value: UInt64, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        switch value {
        case ..<0xFB:
            out[at] = UInt8(value)
            return at + 1
        case ..<0x1_0000:
            out[at] = 0xFC
            out[at + 1] = UInt8(truncatingIfNeeded: value)
            out[at + 2] = UInt8(truncatingIfNeeded: value >> 8)
            return at + 3
        case ..<0x100_0000:
            out[at] = 0xFD
            for k in 0..<3 { out[at + 1 + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
            return at + 4
        default:
            out[at] = 0xFE
            for k in 0..<8 { out[at + 1 + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
            return at + 9
        }
    }

    /// `value` in decimal, length-prefixed.
    private static func integer(_ value: Int64, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        var magnitude = value.magnitude
        var digits = 1
        var probe = magnitude
        while probe >= 10 {
            probe /= 10
            digits += 1
        }
        let length = digits + (value < 0 ? 1 : 0)
        out[at] = UInt8(length)
        if value < 0 { out[at + 1] = UInt8(ascii: "-") }
        var index = at + length
        repeat {
            out[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
            magnitude /= 10
            index -= 1
        } while magnitude > 0
        return at + 1 + length
    }

    /// `width` digits of `value` (zero-padded) at `at`.
    private static func padded(_ value: Int, _ width: Int, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        var v = value
        for k in stride(from: width - 1, through: 0, by: -1) {
            out[at + k] = UInt8(truncatingIfNeeded: v % 10) &+ 48
            v /= 10
        }
        return at + width
    }

    /// `YYYY-MM-DD` (no length prefix).
    private static func date(_ days: Int64, _ out: UnsafeMutablePointer<UInt8>, _ at: Int) -> Int {
        let (y, m, d) = CivilTime.civil(days: days)
        var at = padded(y, 4, out, at)
        out[at] = UInt8(ascii: "-")
        at = padded(m, 2, out, at + 1)
        out[at] = UInt8(ascii: "-")
        return padded(d, 2, out, at + 1)
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]`, length-prefixed.
    private static func dateTime(_ micros: Int64, _ out: UnsafeMutablePointer<UInt8>, _ start: Int) -> Int {
        let (days, rest) = CivilTime.floorDivide(micros, CivilTime.microsPerDay)
        let fraction = Int(rest % CivilTime.microsPerSecond)
        out[start] = fraction == 0 ? 19 : 26
        var at = date(days, out, start + 1)
        let seconds = Int(rest / CivilTime.microsPerSecond)
        out[at] = UInt8(ascii: " ")
        at = padded(seconds / 3600, 2, out, at + 1)
        out[at] = UInt8(ascii: ":")
        at = padded(seconds / 60 % 60, 2, out, at + 1)
        out[at] = UInt8(ascii: ":")
        at = padded(seconds % 60, 2, out, at + 1)
        if fraction != 0 {
            out[at] = UInt8(ascii: ".")
            at = padded(fraction, 6, out, at + 1)
        }
        return at
    }

    /// An exact decimal with `scale` fractional digits, length-prefixed.
    private static func decimal(_ value: Int128, _ scale: Int, _ out: UnsafeMutablePointer<UInt8>, _ start: Int)
        -> Int
    {
        // Digits backwards into scratch (39 digits at most), then written forwards.
        let magnitude = value.magnitude
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { scratch in
            var count = 0
            if magnitude <= UInt128(UInt64.max) {
                var m = UInt64(magnitude)
                repeat {
                    scratch[count] = UInt8(truncatingIfNeeded: m % 10) &+ 48
                    m /= 10
                    count += 1
                } while m > 0
            } else {
                var m = magnitude
                repeat {
                    scratch[count] = UInt8(truncatingIfNeeded: m % 10) &+ 48
                    m /= 10
                    count += 1
                } while m > 0
            }
            while count <= scale {
                scratch[count] = UInt8(ascii: "0")
                count += 1
            }
            let length = count + (scale > 0 ? 1 : 0) + (value < 0 ? 1 : 0)
            out[start] = UInt8(length)
            var at = start + 1
            if value < 0 {
                out[at] = UInt8(ascii: "-")
                at += 1
            }
            for k in stride(from: count - 1, through: 0, by: -1) {
                if k == scale - 1 {
                    out[at] = UInt8(ascii: ".")
                    at += 1
                }
                out[at] = scratch[k]
                at += 1
            }
            return at
        }
    }

    private static func text(_ value: String, _ out: UnsafeMutablePointer<UInt8>, _ start: Int) -> Int {
        var at = lenenc(UInt64(value.utf8.count), out, start)
        for byte in value.utf8 {
            out[at] = byte
            at += 1
        }
        return at
    }
}
