package import NIOCore
package import SluiceFormat

/// Builds one response: framed packets with consecutive sequence ids, straight into a
/// `ByteBuffer` (rows are encoded from column vectors without an intermediate value per cell).
package struct PacketWriter {
    package var buffer: ByteBuffer
    /// The sequence id of the next packet.
    package var sequence: UInt8

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
