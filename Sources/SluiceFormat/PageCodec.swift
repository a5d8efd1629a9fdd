/// Encodes and decodes one page: a run of up to ``PageCodec/defaultPageRows`` values of one column.
///
/// Layout (little-endian):
/// ```
/// u8  lane            PhysicalType raw value
/// u8  layout          lane-specific encoding (see below)
/// var rowCount, var nullCount
/// [ceil(rowCount/8)]  null bitmap, only when nullCount > 0 (bit set = NULL)
/// ...                 payload
/// u32 crc32c          of every byte above
/// ```
/// Payloads: `int64` → ``IntegerCodec``; `int128` → layout 1 = ``IntegerCodec`` when every value
/// fits 64 bits, layout 0 = 16 bytes each; `float64` → 8 bytes each; `bytes` → layout 0 = plain
/// (lengths through ``IntegerCodec`` + data), layout 1 = dictionary (entries + codes through
/// ``IntegerCodec``); a `bytes` payload may be LZ4-compressed (``PageCompression``, flag 0x80 in
/// the layout byte).
package enum PageCodec {
    package static let defaultPageRows = 8192
    /// The most rows a page read back may claim (writers use ``defaultPageRows``; this leaves
    /// room without letting a damaged count size a huge allocation).
    package static let maxPageRows = 1 << 20

    /// Min/max of a page's non-null values, kept in the segment footer for pruning.
    package struct ZoneMap: Sendable, Hashable {
        package var min: Value
        package var max: Value
        package init(min: Value, max: Value) {
            self.min = min
            self.max = max
        }
    }

    /// Encodes rows `range` of `column`; returns the page bytes and the zone map (nil if all NULL).
    package static func encode(_ column: ColumnVector, range: Range<Int>) -> (bytes: [UInt8], zone: ZoneMap?) {
        var out = ByteWriter(capacity: 64 + range.count * 4)
        let lane = column.type.physical
        out.write(lane.rawValue)
        let layoutOffset = out.count
        out.write(UInt8(0))
        out.writeVarint(UInt64(range.count))
        var nullCount = 0
        if column.hasNulls {
            for r in range where column.nulls[r] != 0 { nullCount += 1 }
        }
        out.writeVarint(UInt64(nullCount))
        if nullCount > 0 {
            var bitmap = [UInt8](repeating: 0, count: (range.count + 7) / 8)
            for (i, r) in range.enumerated() where column.nulls[r] != 0 { bitmap[i >> 3] |= 1 << UInt8(i & 7) }
            out.write(bytes: bitmap)
        }
        var zone: ZoneMap?
        switch lane {
        case .int64:
            column.ints.withUnsafeBufferPointer { all in
                _ = IntegerCodec.encode(UnsafeBufferPointer(rebasing: all[range]), into: &out)
            }
            zone = intZone(column, range) { .int(column.ints[$0]) }
        case .int128:
            let fits = column.wides[range].allSatisfy { Int64(exactly: $0) != nil }
            if fits {
                out.patch(UInt8(1), at: layoutOffset)
                let narrowed = column.wides[range].map { Int64($0) }
                narrowed.withUnsafeBufferPointer { _ = IntegerCodec.encode($0, into: &out) }
            } else {
                for v in column.wides[range] {
                    out.write(UInt64(truncatingIfNeeded: v))
                    out.write(Int64(truncatingIfNeeded: v >> 64))
                }
            }
            zone = intZone(column, range) { .wide(column.wides[$0]) }
        case .float64:
            for v in column.doubles[range] { out.write(v) }
            zone = intZone(column, range) { .double(column.doubles[$0]) }
        case .bytes:
            let payloadStart = out.count
            let dictionary = encodeBytes(column, range: range, into: &out)
            var layout: UInt8 = 0
            if let dictionary {
                layout = 1
                zone = dictionaryZone(dictionary, column, range)
            } else {
                zone = bytesZone(column, range)
            }
            if PageCompression.compressTail(of: &out, from: payloadStart) { layout |= PageCompression.flag }
            out.patch(layout, at: layoutOffset)
        }
        let crc = CRC32C.checksum(out.bytes)
        out.write(crc)
        return (out.bytes, zone)
    }

    private static func intZone(_ column: ColumnVector, _ range: Range<Int>, _ value: (Int) -> Value) -> ZoneMap? {
        var lo: Value?
        var hi: Value?
        for r in range where !column.isNull(r) {
            let v = value(r)
            if lo == nil || compareValues(v, lo!) < 0 { lo = v }
            if hi == nil || compareValues(v, hi!) > 0 { hi = v }
        }
        guard let lo, let hi else { return nil }
        return ZoneMap(min: lo, max: hi)
    }

    /// Byte strings longer than this are left out of zone maps (a truncated max would be wrong).
    static let maxZoneBytes = 64

    private static func bytesZone(_ column: ColumnVector, _ range: Range<Int>) -> ZoneMap? {
        var lo: ArraySlice<UInt8>?
        var hi: ArraySlice<UInt8>?
        for r in range where !column.isNull(r) {
            let v = column.byteSlice(r)
            if v.count > maxZoneBytes { return nil }
            if lo == nil || compareBytes(v, lo!) < 0 { lo = v }
            if hi == nil || compareBytes(v, hi!) > 0 { hi = v }
        }
        guard let lo, let hi else { return nil }
        return ZoneMap(min: .bytes(Array(lo)), max: .bytes(Array(hi)))
    }

    /// Zone map from the distinct values of a dictionary page (few compares instead of one per row).
    private static func dictionaryZone(_ dictionary: ByteDictionary, _ column: ColumnVector, _ range: Range<Int>)
        -> ZoneMap?
    {
        var hasValue = false
        for r in range where !column.isNull(r) {
            hasValue = true
            break
        }
        guard hasValue else { return nil }
        var lo: ArraySlice<UInt8>?
        var hi: ArraySlice<UInt8>?
        for e in 0..<dictionary.count {
            let v = dictionary.data[dictionary.offsets[e]..<dictionary.offsets[e + 1]]
            if v.count > maxZoneBytes { return nil }
            if lo == nil || compareBytes(v, lo!) < 0 { lo = v }
            if hi == nil || compareBytes(v, hi!) > 0 { hi = v }
        }
        guard let lo, let hi else { return nil }
        return ZoneMap(min: .bytes(Array(lo)), max: .bytes(Array(hi)))
    }

    /// Writes strings plainly or as a dictionary; returns the dictionary when one was used.
    private static func encodeBytes(_ column: ColumnVector, range: Range<Int>, into out: inout ByteWriter)
        -> ByteDictionary?
    {
        var table = ByteDictionary()
        var codes = [Int64]()
        codes.reserveCapacity(range.count)
        let limit = max(16, range.count / 4)
        // Give up early on mostly distinct values (URLs, ids): after a probe of 512 rows with
        // more than 3/4 of them distinct, a dictionary will not pay.
        let probe = 512
        var useDictionary = true
        column.bytes.withUnsafeBytes { raw in
            for r in range {
                let slice = UnsafeRawBufferPointer(rebasing: raw[column.offsets[r]..<column.offsets[r + 1]])
                codes.append(Int64(table.intern(slice)))
                if table.count > limit || (codes.count == probe && table.count > probe * 3 / 4) {
                    useDictionary = false
                    break
                }
            }
        }
        if useDictionary {
            out.writeVarint(UInt64(table.count))
            var lengths = [Int64]()
            lengths.reserveCapacity(table.count)
            for i in 0..<table.count { lengths.append(Int64(table.offsets[i + 1] - table.offsets[i])) }
            lengths.withUnsafeBufferPointer { _ = IntegerCodec.encode($0, into: &out) }
            out.write(bytes: table.data)
            codes.withUnsafeBufferPointer { _ = IntegerCodec.encode($0, into: &out) }
            return table
        }
        let lengths = range.map { Int64(column.offsets[$0 + 1] - column.offsets[$0]) }
        lengths.withUnsafeBufferPointer { _ = IntegerCodec.encode($0, into: &out) }
        out.write(bytes: column.bytes[column.offsets[range.lowerBound]..<column.offsets[range.upperBound]])
        return nil
    }

    /// Decodes a page written by ``encode(_:range:)`` and appends its rows to `column`.
    /// - Parameter baseOffset: the page's offset in its file, for error messages.
    package static func decode(_ bytes: [UInt8], into column: inout ColumnVector, baseOffset: Int = 0)
        throws(FormatError)
    {
        guard bytes.count >= 8 else {
            throw FormatError(.truncated, "page of \(bytes.count) bytes", offset: baseOffset)
        }
        let body = bytes.count - 4
        let stored = UInt32(
            littleEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: body, as: UInt32.self) })
        let actual = CRC32C.checksum(bytes[0..<body])
        guard stored == actual else {
            throw FormatError(
                .corruption, "page checksum mismatch (stored \(stored), computed \(actual))", offset: baseOffset)
        }
        var reader = ByteReader(bytes, end: body, baseOffset: baseOffset)
        let lane = try reader.read(UInt8.self)
        guard lane == column.type.physical.rawValue else {
            throw FormatError(.corruption, "page lane \(lane) does not match column type", offset: baseOffset)
        }
        let layout = try reader.read(UInt8.self)
        // Counts come from the file: bounded before anything is sized by them.
        let rows = try reader.readInt(maximum: maxPageRows)
        let nullCount = try reader.readInt(maximum: rows)
        let base = column.count
        if nullCount > 0 {
            let bitmap = try reader.readBytes((rows + 7) / 8)
            if column.nulls.isEmpty { column.nulls = [UInt8](repeating: 0, count: base) }
            let start = bitmap.startIndex
            for i in 0..<rows { column.nulls.append((bitmap[start + (i >> 3)] >> UInt8(i & 7)) & 1) }
        } else if !column.nulls.isEmpty {
            column.nulls.append(contentsOf: repeatElement(0, count: rows))
        }
        switch column.type.physical {
        case .int64:
            try IntegerCodec.decode(count: rows, from: &reader, into: &column.ints)
        case .int128:
            if layout == 1 {
                var narrow = [Int64]()
                try IntegerCodec.decode(count: rows, from: &reader, into: &narrow)
                column.wides.reserveCapacity(column.wides.count + rows)
                for v in narrow { column.wides.append(Int128(v)) }
            } else {
                for _ in 0..<rows {
                    let low = try reader.read(UInt64.self)
                    let high = try reader.read(Int64.self)
                    column.wides.append(Int128(high) << 64 | Int128(low))
                }
            }
        case .float64:
            for _ in 0..<rows { column.doubles.append(try reader.readDouble()) }
        case .bytes:
            if layout & PageCompression.flag != 0 {
                var payload = ByteReader(try PageCompression.decompress(&reader))
                try decodeBytes(rows: rows, dictionary: layout & 1 == 1, reader: &payload, into: &column)
                guard payload.isAtEnd else {
                    throw FormatError(
                        .corruption, "\(payload.remaining) trailing bytes in compressed payload", offset: baseOffset)
                }
            } else {
                try decodeBytes(rows: rows, dictionary: layout == 1, reader: &reader, into: &column)
            }
        }
        column.count = base + rows
        guard reader.isAtEnd else {
            throw FormatError(.corruption, "\(reader.remaining) trailing bytes in page", offset: baseOffset)
        }
    }

    /// A value length must be non-negative and, with the lengths before it, fit in the bytes
    /// the page has left (a damaged length near 2^63 must not overflow the running total).
    @inline(__always)
    private static func checkLength(_ length: Int64, total: Int, reader: ByteReader) throws(FormatError) {
        guard length >= 0 else { throw FormatError(.corruption, "negative length", offset: reader.position) }
        guard length <= Int64(reader.remaining - total) else {
            throw FormatError(
                .corruption, "value lengths exceed the page's \(reader.remaining) remaining bytes",
                offset: reader.position)
        }
    }

    private static func decodeBytes(
        rows: Int, dictionary: Bool, reader: inout ByteReader, into column: inout ColumnVector
    ) throws(FormatError) {
        if dictionary {
            let entries = try reader.readInt(maximum: max(rows, 1))
            var lengths = [Int64]()
            try IntegerCodec.decode(count: entries, from: &reader, into: &lengths)
            var starts = [Int]()
            starts.reserveCapacity(entries + 1)
            var total = 0
            for l in lengths {
                try checkLength(l, total: total, reader: reader)
                starts.append(total)
                total += Int(l)
            }
            starts.append(total)
            let data = try reader.readBytes(total)
            var codes = [Int64]()
            try IntegerCodec.decode(count: rows, from: &reader, into: &codes)
            var outputBytes = 0
            for code in codes {
                guard code >= 0, Int(code) < entries else {
                    throw FormatError(.corruption, "dictionary code \(code) of \(entries)", offset: reader.position)
                }
                outputBytes += starts[Int(code) + 1] - starts[Int(code)]
            }
            // Materialize through buffer pointers: one capacity check per page, not per row.
            if column.count == 0 { column.pageDictionary = (codes, entries) }
            let firstOffset = column.offsets.count, firstByte = column.bytes.count
            column.offsets.append(contentsOf: repeatElement(0, count: rows))
            column.bytes.append(contentsOf: repeatElement(0, count: outputBytes))
            starts.withUnsafeBufferPointer { starts in
                column.offsets.withUnsafeMutableBufferPointer { offsets in
                    column.bytes.withUnsafeMutableBytes { target in
                        data.withUnsafeBytes { dictionary in
                            var at = firstByte
                            for (i, code) in codes.enumerated() {
                                let start = starts[Int(code)], length = starts[Int(code) + 1] - start
                                if length > 0 {
                                    (target.baseAddress! + at).copyMemory(
                                        from: dictionary.baseAddress! + start, byteCount: length)
                                }
                                at += length
                                offsets[firstOffset + i] = at
                            }
                        }
                    }
                }
            }
        } else {
            var lengths = [Int64]()
            try IntegerCodec.decode(count: rows, from: &reader, into: &lengths)
            var total = 0
            for l in lengths {
                try checkLength(l, total: total, reader: reader)
                total += Int(l)
            }
            let data = try reader.readBytes(total)
            column.bytes.append(contentsOf: data)
            var offset = column.offsets.last ?? 0
            for l in lengths {
                offset += Int(l)
                column.offsets.append(offset)
            }
        }
    }
}

/// An open-addressing set of byte strings, numbering each distinct string in insertion order
/// (page dictionaries, GROUP BY on one string key).
package struct ByteDictionary: Sendable {
    package private(set) var data: [UInt8] = []
    package private(set) var offsets: [Int] = [0]
    private var slots = [Int32](repeating: -1, count: 64)
    package var count: Int { offsets.count - 1 }

    package init() {}

    /// The id of `value`, adding it with the next id if new.
    package mutating func intern(_ value: UnsafeRawBufferPointer) -> Int {
        let hash = Self.hash(value)
        let mask = slots.count - 1
        var slot = Int(hash & UInt64(mask))
        let found: Int? = slots.withUnsafeBufferPointer { slots in
            offsets.withUnsafeBufferPointer { offsets in
                data.withUnsafeBytes { data in
                    while true {
                        let entry = Int(slots[slot])
                        if entry < 0 { return nil }
                        let start = offsets[entry]
                        let length = offsets[entry + 1] - start
                        if length == value.count,
                            length == 0 || bytesEqual(data.baseAddress! + start, value.baseAddress!, count: length)
                        {
                            return entry
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
        if let found { return found }
        let index = count
        data.append(contentsOf: value)
        offsets.append(data.count)
        slots[slot] = Int32(index)
        if count * 2 > slots.count { grow() }
        return index
    }

    /// Word-at-a-time multiplicative hash (not Swift's seeded `Hasher`: this is a hot loop).
    @inline(__always)
    static func hash(_ value: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(value.count)
        var i = 0
        while i + 8 <= value.count {
            h = (h ^ value.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < value.count {
            tail |= UInt64(value[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 29)
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        for e in 0..<count {
            let hash = data.withUnsafeBytes {
                Self.hash(UnsafeRawBufferPointer(rebasing: $0[offsets[e]..<offsets[e + 1]]))
            }
            var slot = Int(hash & UInt64(slots.count - 1))
            while slots[slot] >= 0 { slot = (slot + 1) & (slots.count - 1) }
            slots[slot] = Int32(e)
        }
    }
}
