package import NIOCore
package import SluiceFormat

/// Builds one response: framed packets with consecutive sequence ids, straight into a
/// `ByteBuffer` (rows are encoded from column vectors without an intermediate value per cell).
package struct PacketWriter {
    package var buffer: ByteBuffer
    /// The sequence id of the next packet.
    package var sequence: UInt8
    var scratch: [UInt8] = []

    package init(allocator: ByteBufferAllocator = ByteBufferAllocator(), sequence: UInt8, capacity: Int = 256) {
        buffer = allocator.buffer(capacity: capacity)
        self.sequence = sequence
    }

    /// Appends one logical packet (split at 16 MiB).
    package mutating func packet(_ payload: [UInt8]) {
        let (bytes, next) = PacketFramer.frames(payload, sequence: sequence)
        buffer.writeBytes(bytes)
        sequence = next
    }

    /// Hands over what was built and starts a new buffer (the sequence continues).
    package mutating func take() -> ByteBuffer {
        let out = buffer
        buffer = ByteBuffer()
        buffer.reserveCapacity(minimumWritableBytes: max(256, out.readableBytes))
        return out
    }

    // MARK: Text rows

    /// Appends rows `rows` of `batch` as text-protocol rows (spec §3.3): each value a lenenc
    /// string of its text, NULL `0xfb`. Cells are rendered column by column (``TextCells``), then
    /// each row's packet is copied together.
    package mutating func textRows(_ batch: [ColumnVector], rows: Range<Int>) {
        let cells = TextCells(batch, rows: rows)
        for row in 0..<cells.rows {
            let length = cells.rowLength(row)
            guard length < PacketFramer.maxPacket else {
                // 16 MiB or more: split into continuation packets.
                var payload = [UInt8](repeating: 0, count: length)
                _ = payload.withUnsafeMutableBytes { cells.copyRow(row, to: $0) }
                packet(payload)
                continue
            }
            buffer.writeInteger(UInt32(length) | UInt32(sequence) << 24, endianness: .little)
            sequence &+= 1
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { cells.copyRow(row, to: $0) }
        }
    }

    mutating func textValue(_ column: ColumnVector, _ row: Int) {
        if column.isNull(row) {
            buffer.writeInteger(UInt8(0xFB))
            return
        }
        switch column.type {
        case .boolean, .tinyint, .smallint, .int, .bigint:
            writeDecimalDigits(column.ints[row])
        case .char, .varchar, .string, .json:
            let start = column.offsets[row]
            let end = column.offsets[row + 1]
            writeLenenc(UInt64(end - start))
            buffer.writeBytes(column.bytes[start..<end])
        case .largeint:
            writeLenencText(String(column.wides[row]).utf8)
        case .float, .double:
            writeLenencText(Value.formatDouble(column.doubles[row], isFloat: column.type == .float).utf8)
        case .decimal(_, let scale):
            scratch.removeAll(keepingCapacity: true)
            DecimalArithmetic.append(column.wides[row], scale: scale, to: &scratch)
            writeLenencScratch()
        case .date:
            scratch.removeAll(keepingCapacity: true)
            let (y, m, d) = CivilTime.civil(days: column.ints[row])
            CivilTime.appendDate(y, m, d, to: &scratch)
            writeLenencScratch()
        case .datetime:
            scratch.removeAll(keepingCapacity: true)
            CivilTime.appendDateTime(column.ints[row], to: &scratch)
            writeLenencScratch()
        }
    }

    private mutating func writeLenencText(_ text: String.UTF8View) {
        writeLenenc(UInt64(text.count))
        buffer.writeBytes(text)
    }

    private mutating func writeLenencScratch() {
        writeLenenc(UInt64(scratch.count))
        buffer.writeBytes(scratch)
    }

    /// `value` in decimal as a lenenc string (always under 251 bytes: one length byte).
    private mutating func writeDecimalDigits(_ value: Int64) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 21) { out in
            var magnitude = value.magnitude
            var digits = 1
            var probe = magnitude
            while probe >= 10 {
                probe /= 10
                digits += 1
            }
            let length = digits + (value < 0 ? 1 : 0)
            out[0] = UInt8(length)
            if value < 0 { out[1] = UInt8(ascii: "-") }
            var index = length
            repeat {
                out[index] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
                magnitude /= 10
                index -= 1
            } while magnitude > 0
            return length + 1
        }
    }

    package mutating func writeLenenc(_ value: UInt64) {
        switch value {
        case ..<0xFB:
            buffer.writeInteger(UInt8(value))
        case ..<0x1_0000:
            buffer.writeInteger(UInt8(0xFC))
            buffer.writeInteger(UInt16(value), endianness: .little)
        case ..<0x100_0000:
            buffer.writeInteger(UInt8(0xFD))
            buffer.writeInteger(UInt16(value & 0xFFFF), endianness: .little)
            buffer.writeInteger(UInt8(value >> 16))
        default:
            buffer.writeInteger(UInt8(0xFE))
            buffer.writeInteger(value, endianness: .little)
        }
    }

    /// Fills in the header written at `header` once the payload follows it; a payload of 16 MiB
    /// or more is re-framed into continuation packets.
    mutating func finishPacket(header: Int) {
        let length = buffer.writerIndex - header - 4
        if length < PacketFramer.maxPacket {
            buffer.setInteger(UInt32(length) | UInt32(sequence) << 24, at: header, endianness: .little)
            sequence &+= 1
            return
        }
        let payload = buffer.getBytes(at: header + 4, length: length) ?? []
        buffer.moveWriterIndex(to: header)
        packet(payload)
    }
}
