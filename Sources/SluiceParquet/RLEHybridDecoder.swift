/// Parquet's RLE / bit-packed hybrid (definition levels, dictionary indices, booleans): runs of a
/// repeated value and groups of 8 bit-packed values, each behind a varint header.
struct RLEHybridDecoder {
    private let bytes: UnsafeRawBufferPointer
    private var position: Int
    private let bitWidth: Int

    init(_ bytes: UnsafeRawBufferPointer, bitWidth: Int) {
        self.bytes = bytes
        self.position = 0
        self.bitWidth = bitWidth
    }

    private static func corrupt() -> ParquetError {
        ParquetError(.corrupt, "Parquet levels or indices do not decode: the file is truncated or corrupt")
    }

    /// Decodes `count` values into `out` (appended).
    mutating func decode(_ count: Int, into out: inout [UInt32]) throws(ParquetError) {
        guard bitWidth <= 32 else { throw Self.corrupt() }
        out.reserveCapacity(out.count + count)
        var remaining = count
        let byteWidth = (bitWidth + 7) / 8
        let mask: UInt64 = bitWidth == 0 ? 0 : (1 << UInt64(bitWidth)) - 1
        while remaining > 0 {
            guard position < bytes.count else { throw Self.corrupt() }
            var header: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < bytes.count, shift < 64 else { throw Self.corrupt() }
                let b = bytes[position]
                position += 1
                header |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
            }
            if header & 1 == 0 {
                // A run: the value repeated.
                let run = Int(clamping: header >> 1)
                guard position + byteWidth <= bytes.count, run > 0 else { throw Self.corrupt() }
                var value: UInt32 = 0
                for i in 0..<byteWidth { value |= UInt32(bytes[position + i]) << (8 * UInt32(i)) }
                position += byteWidth
                let n = min(run, remaining)
                out.append(contentsOf: repeatElement(value, count: n))
                remaining -= n
            } else {
                // Groups of 8 bit-packed values, least significant bit first.
                let groups = Int(clamping: header >> 1)
                let valueCount = groups * 8
                let byteCount = groups * bitWidth
                guard groups > 0, position + byteCount <= bytes.count else { throw Self.corrupt() }
                let n = min(valueCount, remaining)
                var buffer: UInt64 = 0
                var bits = 0
                var p = position
                for _ in 0..<n {
                    while bits < bitWidth {
                        buffer |= UInt64(bytes[p]) << UInt64(bits)
                        p += 1
                        bits += 8
                    }
                    out.append(UInt32(truncatingIfNeeded: buffer & mask))
                    buffer >>= UInt64(bitWidth)
                    bits -= bitWidth
                }
                position += byteCount
                remaining -= n
            }
        }
    }

    /// Bytes consumed so far.
    var consumed: Int { position }
}
