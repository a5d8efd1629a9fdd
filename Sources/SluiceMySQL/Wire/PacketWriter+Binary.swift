import NIOCore
package import SluiceFormat

extension PacketWriter {
    /// Appends rows `rows` of `batch` as binary-protocol rows (COM_STMT_EXECUTE's result, spec
    /// §3.10): `00`, a NULL bitmap offset by 2 bits, then each non-NULL value in the binary form
    /// of the column's MySQL type (types MySQL sends as text — strings, DECIMAL, LARGEINT, JSON —
    /// as the text protocol's cells, from ``TextCells``).
    package mutating func binaryRows(_ batch: [ColumnVector], rows: Range<Int>) {
        let bitmapLength = (batch.count + 7 + 2) / 8
        let cells = TextCells(batch, rows: rows)
        for (offset, row) in rows.enumerated() {
            let header = buffer.writerIndex
            buffer.writeInteger(UInt32(0))
            buffer.writeInteger(UInt8(0))
            let bitmap = buffer.writerIndex
            buffer.writeRepeatingByte(0, count: bitmapLength)
            for (index, column) in batch.enumerated() {
                if column.isNull(row) {
                    let bit = index + 2
                    let at = bitmap + bit / 8
                    let current: UInt8 = buffer.getInteger(at: at) ?? 0
                    buffer.setInteger(current | UInt8(1 << (bit % 8)), at: at)
                } else if !binaryValue(column, row) {
                    cells.appendCell(index, offset, to: &buffer)
                }
            }
            finishPacket(header: header)
        }
    }

    /// Writes the fixed binary form of a number or date; false for types sent as text.
    private mutating func binaryValue(_ column: ColumnVector, _ row: Int) -> Bool {
        switch column.type {
        case .boolean, .tinyint: buffer.writeInteger(Int8(truncatingIfNeeded: column.ints[row]))
        case .smallint: buffer.writeInteger(Int16(truncatingIfNeeded: column.ints[row]), endianness: .little)
        case .int: buffer.writeInteger(Int32(truncatingIfNeeded: column.ints[row]), endianness: .little)
        case .bigint: buffer.writeInteger(column.ints[row], endianness: .little)
        case .float: buffer.writeInteger(Float(column.doubles[row]).bitPattern, endianness: .little)
        case .double: buffer.writeInteger(column.doubles[row].bitPattern, endianness: .little)
        case .date:
            let (y, m, d) = CivilTime.civil(days: column.ints[row])
            buffer.writeInteger(UInt8(4))
            writeDate(y, m, d)
        case .datetime:
            let (days, micros) = CivilTime.floorDivide(column.ints[row], CivilTime.microsPerDay)
            let (y, m, d) = CivilTime.civil(days: days)
            let seconds = micros / CivilTime.microsPerSecond
            let fraction = micros % CivilTime.microsPerSecond
            buffer.writeInteger(UInt8(fraction != 0 ? 11 : micros != 0 ? 7 : 4))
            writeDate(y, m, d)
            if micros != 0 {
                buffer.writeInteger(UInt8(seconds / 3600))
                buffer.writeInteger(UInt8(seconds / 60 % 60))
                buffer.writeInteger(UInt8(seconds % 60))
            }
            if fraction != 0 { buffer.writeInteger(UInt32(fraction), endianness: .little) }
        case .largeint, .decimal, .char, .varchar, .string, .json, .array:
            return false
        }
        return true
    }

    private mutating func writeDate(_ y: Int, _ m: Int, _ d: Int) {
        buffer.writeInteger(UInt16(clamping: y), endianness: .little)
        buffer.writeInteger(UInt8(m))
        buffer.writeInteger(UInt8(d))
    }
}
