/// Integer encodings for pages of the `int64` lane (and `int128` pages whose values fit 64 bits).
///
/// The writer measures every candidate and keeps the smallest:
/// - `plain`: 8 bytes per value.
/// - `bitPacked`: frame of reference — the minimum, then `value - min` in `width` bits each.
/// - `runLength`: (run length, value) pairs as varints — sorted keys, flags, constant columns.
/// - `delta`: the first value, then bit-packed deltas from the minimum delta — timestamps, ids.
package enum IntegerEncoding: UInt8, Sendable {
    case plain = 0
    case bitPacked = 1
    case runLength = 2
    case delta = 3
}

package enum IntegerCodec {
    /// Bits needed for an unsigned value (0 for 0).
    @inlinable
    static func bitWidth(_ v: UInt64) -> Int { v == 0 ? 0 : 64 - v.leadingZeroBitCount }

    /// Encodes `values` with the smallest encoding and returns its tag.
    package static func encode(_ values: UnsafeBufferPointer<Int64>, into out: inout ByteWriter) -> IntegerEncoding {
        let n = values.count
        guard n > 0 else {
            out.write(IntegerEncoding.plain.rawValue)
            return .plain
        }
        var minimum = values[0], maximum = values[0]
        var runs = 1
        var minDelta = Int64.max, maxDelta = Int64.min
        var deltaOverflow = false
        for i in 1..<n {
            let v = values[i]
            if v < minimum { minimum = v }
            if v > maximum { maximum = v }
            if v != values[i - 1] { runs += 1 }
            let (d, o) = v.subtractingReportingOverflow(values[i - 1])
            deltaOverflow = deltaOverflow || o
            if d < minDelta { minDelta = d }
            if d > maxDelta { maxDelta = d }
        }
        let (range, rangeOverflow) = maximum.subtractingReportingOverflow(minimum)
        let forWidth = rangeOverflow ? 64 : bitWidth(UInt64(bitPattern: range))
        var bestSize = n * 8
        var best = IntegerEncoding.plain
        let forSize = 9 + (n * forWidth + 7) / 8
        if forSize < bestSize { bestSize = forSize; best = .bitPacked }
        let rleSize = runs * 4 + 4
        if rleSize < bestSize { bestSize = rleSize; best = .runLength }
        var deltaWidth = 64
        if n > 1, !deltaOverflow {
            let (deltaRange, o) = maxDelta.subtractingReportingOverflow(minDelta)
            deltaWidth = o ? 64 : bitWidth(UInt64(bitPattern: deltaRange))
            let deltaSize = 18 + ((n - 1) * deltaWidth + 7) / 8
            if deltaSize < bestSize { bestSize = deltaSize; best = .delta }
        }
        out.write(best.rawValue)
        switch best {
        case .plain:
            out.reserveCapacity(out.count + n * 8)
            for v in values { out.write(v) }
        case .bitPacked:
            out.write(minimum)
            out.write(UInt8(forWidth))
            pack(count: n, width: forWidth, into: &out) { UInt64(bitPattern: values[$0] &- minimum) }
        case .runLength:
            out.writeVarint(UInt64(runs))
            var i = 0
            while i < n {
                var j = i + 1
                while j < n, values[j] == values[i] { j += 1 }
                out.writeVarint(UInt64(j - i))
                out.writeSignedVarint(values[i])
                i = j
            }
        case .delta:
            out.write(values[0])
            out.write(minDelta)
            out.write(UInt8(deltaWidth))
            pack(count: n - 1, width: deltaWidth, into: &out) {
                UInt64(bitPattern: (values[$0 + 1] &- values[$0]) &- minDelta)
            }
        }
        return best
    }

    /// Writes `count` values of `width` bits, least significant bit first.
    @inlinable
    static func pack(count: Int, width: Int, into out: inout ByteWriter, value: (Int) -> UInt64) {
        guard width > 0 else { return }
        var buffer: UInt64 = 0
        var bits = 0
        var packed = [UInt8]()
        packed.reserveCapacity((count * width + 7) / 8 + 8)
        for i in 0..<count {
            let v = value(i)
            buffer |= v << UInt64(bits)
            let used = 64 - bits
            if width >= used {
                // Flush 8 bytes, keep the high part of v.
                withUnsafeBytes(of: buffer.littleEndian) { packed.append(contentsOf: $0) }
                buffer = used == 64 ? 0 : v >> UInt64(used)
                bits = width - used
            } else {
                bits += width
            }
        }
        var remainingBits = bits
        while remainingBits > 0 {
            packed.append(UInt8(truncatingIfNeeded: buffer))
            buffer >>= 8
            remainingBits -= 8
        }
        out.write(bytes: packed)
    }

    /// The most values one ``decode(count:from:into:)`` accepts (a page's rows or dictionary
    /// entries; larger counts are damage and must not size an allocation).
    package static let maxCount = 1 << 24

    /// Reads `count` values of `width` bits.
    static func unpack(
        count: Int, width: Int, from reader: inout ByteReader, _ body: (Int, UInt64) -> Void
    ) throws(FormatError) {
        guard width > 0 else {
            for i in 0..<count { body(i, 0) }
            return
        }
        guard width <= 64 else { throw FormatError(.corruption, "bit width \(width)", offset: reader.position) }
        let byteCount = (count * width + 7) / 8
        let slice = try reader.readBytes(byteCount)
        slice.withUnsafeBytes { raw in
            let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
            var bitPosition = 0
            for i in 0..<count {
                let byteIndex = bitPosition >> 3
                let shift = bitPosition & 7
                var word: UInt64 = 0
                let available = min(8, raw.count - byteIndex)
                if available == 8 {
                    word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: byteIndex, as: UInt64.self))
                } else {
                    for k in 0..<available { word |= UInt64(raw[byteIndex + k]) << UInt64(8 * k) }
                }
                var v = word >> UInt64(shift)
                if shift + width > 64 {
                    let extra = raw[byteIndex + 8]
                    v |= UInt64(extra) << UInt64(64 - shift)
                }
                body(i, v & mask)
                bitPosition += width
            }
        }
    }

    /// Decodes `count` values written by ``encode(_:into:)``.
    package static func decode(count: Int, from reader: inout ByteReader, into out: inout [Int64]) throws(FormatError) {
        let start = reader.position
        guard count >= 0, count <= maxCount else {
            throw FormatError(.corruption, "\(count) integers in one run", offset: reader.baseOffset + start)
        }
        guard let encoding = IntegerEncoding(rawValue: try reader.read(UInt8.self)) else {
            throw FormatError(.unsupported, "integer encoding", offset: reader.baseOffset + start)
        }
        out.reserveCapacity(out.count + count)
        switch encoding {
        case .plain:
            for _ in 0..<count { out.append(try reader.read(Int64.self)) }
        case .bitPacked:
            let minimum = try reader.read(Int64.self)
            let width = Int(try reader.read(UInt8.self))
            let base = out.count
            out.append(contentsOf: repeatElement(0, count: count))
            try out.withUnsafeMutableBufferPointer { buffer throws(FormatError) in
                try unpack(count: count, width: width, from: &reader) { i, v in
                    buffer[base + i] = minimum &+ Int64(bitPattern: v)
                }
            }
        case .runLength:
            let runs = try reader.readInt()
            var produced = 0
            for _ in 0..<runs {
                let length = try reader.readInt()
                let v = try reader.readSignedVarint()
                guard produced + length <= count else {
                    throw FormatError(.corruption, "run exceeds page", offset: reader.baseOffset + reader.position)
                }
                out.append(contentsOf: repeatElement(v, count: length))
                produced += length
            }
            guard produced == count else {
                throw FormatError(.corruption, "runs cover \(produced) of \(count)", offset: reader.baseOffset + start)
            }
        case .delta:
            guard count >= 1 else {
                throw FormatError(.corruption, "a delta run of no values", offset: reader.baseOffset + start)
            }
            let first = try reader.read(Int64.self)
            let minDelta = try reader.read(Int64.self)
            let width = Int(try reader.read(UInt8.self))
            out.append(first)
            var previous = first
            try unpack(count: count - 1, width: width, from: &reader) { _, v in
                previous = previous &+ minDelta &+ Int64(bitPattern: v)
                out.append(previous)
            }
        }
    }
}
