import SluiceExpr
import SluiceFormat
import SluiceLoad

/// Decodes one column chunk (its pages: an optional dictionary page, then data pages v1 or v2)
/// straight into a source column through a ``ParquetValueConverter``. Reads PLAIN, RLE
/// (booleans) and dictionary encodings, definition levels of flat optional columns, and the
/// codecs ``ParquetCodec`` names; anything else fails with `.unsupported`, naming the column.
struct ParquetChunkDecoder {
    private var converter: ParquetValueConverter
    private let column: ParquetColumn
    private let codec: Int32
    /// The dictionary page's entries, converted once; entries that failed, with their text.
    private var dictionary: ColumnVector?
    private var dictionaryFailures: [Int: String] = [:]
    static let maxPageBytes = 256 << 20
    static let maxPageValues = 1 << 24

    init(column: ParquetColumn, codec: Int32, target: ColumnType, timeZone: SessionTimeZone) {
        self.column = column
        self.codec = codec
        converter = ParquetValueConverter(column: column, target: target, timeZone: timeZone)
    }

    private static func corrupt(_ column: ParquetColumn, _ what: String) -> ParquetError {
        ParquetError(.corrupt, "Parquet column '\(column.name)' is damaged (\(what)): the file is truncated or corrupt")
    }

    /// Appends the chunk's `rows` values to `out`; failed conversions to `failures` (row numbers
    /// counted from `firstRow`).
    mutating func decode(
        _ chunk: UnsafeRawBufferPointer, rows: Int, into out: inout ColumnVector, failures: inout ParseFailures,
        firstRow: Int
    ) throws(ParquetError) {
        guard ParquetCodec.isSupported(codec) else {
            throw ParquetError(
                .unsupported,
                "Parquet compression \(ParquetCodec.name(codec)) of column '\(column.name)' is not supported: write "
                    + "the file with SNAPPY, GZIP, ZSTD or none")
        }
        var position = 0
        var decoded = 0
        while decoded < rows {
            guard position < chunk.count else { throw Self.corrupt(column, "fewer values than rows") }
            var reader = ThriftCompactReader(chunk, at: position)
            let header = try ParquetPageHeader(&reader)
            let start = reader.position
            guard header.compressedSize <= chunk.count - start else { throw Self.corrupt(column, "page size") }
            // Bounds real writers stay far below (pages of ~1 MiB): a damaged or hostile header
            // cannot make the reader allocate gigabytes.
            guard header.uncompressedSize <= Self.maxPageBytes, header.valueCount <= Self.maxPageValues else {
                throw ParquetError(
                    .unsupported,
                    "A page of Parquet column '\(column.name)' is too large (\(header.uncompressedSize) bytes, "
                        + "\(header.valueCount) values): write pages of at most \(Self.maxPageBytes >> 20) MiB")
            }
            let body = UnsafeRawBufferPointer(rebasing: chunk[start..<(start + header.compressedSize)])
            position = start + header.compressedSize
            switch header.kind {
            case .dictionary:
                let page = try ParquetCodec.decompress(body, codec: codec, size: header.uncompressedSize)
                try withBytes(page) { (raw) throws(ParquetError) in
                    try readDictionary(raw, count: header.valueCount, encoding: header.encoding)
                }
            case .data:
                let page = try ParquetCodec.decompress(body, codec: codec, size: header.uncompressedSize)
                let count = min(header.valueCount, rows - decoded)
                try withBytes(page) { (raw) throws(ParquetError) in
                    var levels: [UInt32]?
                    var offset = 0
                    if column.optional {
                        guard header.definitionEncoding == 3 else {
                            throw ParquetError(
                                .unsupported,
                                "Definition levels of column '\(column.name)' use a BIT_PACKED encoding: rewrite the "
                                    + "file with a current writer")
                        }
                        guard raw.count >= 4 else { throw Self.corrupt(column, "definition levels") }
                        let length = Int(raw.loadUnaligned(as: UInt32.self).littleEndian)
                        guard length <= raw.count - 4 else { throw Self.corrupt(column, "definition levels") }
                        var decoder = RLEHybridDecoder(
                            UnsafeRawBufferPointer(rebasing: raw[4..<(4 + length)]), bitWidth: 1)
                        var defs = [UInt32]()
                        try decoder.decode(count, into: &defs)
                        levels = defs
                        offset = 4 + length
                    }
                    try readValues(
                        UnsafeRawBufferPointer(rebasing: raw[offset...]), count: count, levels: levels,
                        encoding: header.encoding, into: &out, failures: &failures, firstRow: firstRow + decoded)
                }
                decoded += count
            case .dataV2:
                let levelBytes = header.repetitionLength + header.definitionLength
                guard levelBytes <= body.count else { throw Self.corrupt(column, "level lengths") }
                let count = min(header.valueCount, rows - decoded)
                var levels: [UInt32]?
                if column.optional {
                    let defs = UnsafeRawBufferPointer(
                        rebasing: body[header.repetitionLength..<levelBytes])
                    var decoder = RLEHybridDecoder(defs, bitWidth: 1)
                    var decodedLevels = [UInt32]()
                    try decoder.decode(count, into: &decodedLevels)
                    levels = decodedLevels
                }
                let values = UnsafeRawBufferPointer(rebasing: body[levelBytes...])
                let page =
                    header.valuesCompressed
                    ? try ParquetCodec.decompress(
                        values, codec: codec, size: header.uncompressedSize - levelBytes) : Array(values)
                try withBytes(page) { (raw) throws(ParquetError) in
                    try readValues(
                        raw, count: count, levels: levels, encoding: header.encoding, into: &out, failures: &failures,
                        firstRow: firstRow + decoded)
                }
                decoded += count
            case .index:
                continue
            }
        }
    }

    /// Converts the dictionary page's PLAIN entries once.
    private mutating func readDictionary(_ raw: UnsafeRawBufferPointer, count: Int, encoding: Int32)
        throws(ParquetError)
    {
        guard encoding == 0 || encoding == 2 else { throw unsupportedEncoding(encoding) }
        var entries = ColumnVector(type: converter.target, capacity: min(count, raw.count + 1))
        var failed = [Int: String]()
        var sink = ParseFailures()
        try readPlain(raw, count: count, levels: nil, into: &entries, failures: &sink, firstRow: 0)
        for (row, text) in sink { failed[row] = text }
        dictionary = entries
        dictionaryFailures = failed
    }

    private func unsupportedEncoding(_ encoding: Int32) -> ParquetError {
        let names = [
            0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED",
            6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY", 9: "BYTE_STREAM_SPLIT",
        ]
        return ParquetError(
            .unsupported,
            "Parquet encoding \(names[Int(encoding)] ?? "\(encoding)") of column '\(column.name)' is not supported: "
                + "write the file with PLAIN or dictionary encoding")
    }

    private mutating func readValues(
        _ raw: UnsafeRawBufferPointer, count: Int, levels: [UInt32]?, encoding: Int32, into out: inout ColumnVector,
        failures: inout ParseFailures, firstRow: Int
    ) throws(ParquetError) {
        switch encoding {
        case 0:
            try readPlain(raw, count: count, levels: levels, into: &out, failures: &failures, firstRow: firstRow)
        case 2, 8:
            guard let dictionary else { throw Self.corrupt(column, "dictionary indices without a dictionary page") }
            guard let width = raw.first else {
                if levels?.allSatisfy({ $0 == 0 }) ?? (count == 0) {
                    for _ in 0..<count { out.appendNull() }
                    return
                }
                throw Self.corrupt(column, "dictionary indices")
            }
            let present = levels.map { $0.reduce(0) { $0 + Int($1) } } ?? count
            var indices = [UInt32]()
            var decoder = RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: raw[1...]), bitWidth: Int(width))
            try decoder.decode(present, into: &indices)
            let entries = dictionary.count
            var next = 0
            for row in 0..<count {
                if let levels, levels[row] == 0 {
                    out.appendNull()
                    continue
                }
                let index = Int(indices[next])
                next += 1
                guard index < entries else { throw Self.corrupt(column, "dictionary index \(index)") }
                out.append(from: dictionary, row: index)
                if let text = dictionaryFailures[index] { failures.append((firstRow + row, text)) }
            }
        case 3 where column.physical == .boolean:
            guard raw.count >= 4 else { throw Self.corrupt(column, "boolean run") }
            let length = Int(raw.loadUnaligned(as: UInt32.self).littleEndian)
            guard length <= raw.count - 4 else { throw Self.corrupt(column, "boolean run") }
            let present = levels.map { $0.reduce(0) { $0 + Int($1) } } ?? count
            var values = [UInt32]()
            var decoder = RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: raw[4..<(4 + length)]), bitWidth: 1)
            try decoder.decode(present, into: &values)
            var next = 0
            for row in 0..<count {
                if let levels, levels[row] == 0 {
                    out.appendNull()
                    continue
                }
                if !converter.append(int: Int64(values[next]), to: &out) {
                    failures.append((firstRow + row, converter.failedText))
                }
                next += 1
            }
        default:
            throw unsupportedEncoding(encoding)
        }
    }

    /// Whether PLAIN values of this column land in the target lane as they are: integers whose
    /// meaning is the number, into a type that holds every value of their width; doubles.
    private var copiesPlainValues: Bool {
        switch (column.physical, column.logical, converter.target) {
        case (.int32, .none, .int), (.int32, .none, .bigint), (.int64, .none, .bigint): true
        case (.int32, .integer(_, true), .int), (.int32, .integer(_, true), .bigint): true
        case (.int64, .integer(_, true), .bigint): true
        case (.int64, .timestamp(false, .micros), .datetime): true
        case (.double, .none, .double), (.float, .none, .float), (.float, .none, .double): true
        default: false
        }
    }

    /// PLAIN values copied straight into the lane (see ``copiesPlainValues``).
    private func copyPlain(
        _ raw: UnsafeRawBufferPointer, count: Int, levels: [UInt32]?, into out: inout ColumnVector
    ) throws(ParquetError) {
        let width = column.physical == .int32 || column.physical == .float ? 4 : 8
        let present = levels.map { $0.reduce(0) { $0 + Int($1) } } ?? count
        guard present * width <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
        var next = 0
        func value(_ i: Int) -> (Int64, Double) {
            switch column.physical {
            case .int32: (Int64(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))), 0)
            case .int64: (Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)), 0)
            case .float:
                (
                    0,
                    Double(
                        Float(
                            bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                    )
                )
            default:
                (0, Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
            }
        }
        let doubles = column.physical == .float || column.physical == .double
        if levels == nil && out.nulls.isEmpty {
            if doubles {
                out.doubles.reserveCapacity(out.doubles.count + count)
                for i in 0..<count { out.doubles.append(value(i).1) }
            } else {
                out.ints.reserveCapacity(out.ints.count + count)
                for i in 0..<count { out.ints.append(value(i).0) }
            }
            out.count += count
            return
        }
        for row in 0..<count {
            if let levels, levels[row] == 0 {
                out.appendNull()
                continue
            }
            let (i, d) = value(next)
            next += 1
            if doubles { out.appendDouble(d) } else { out.appendInt(i) }
        }
    }

    /// PLAIN values, NULLs where `levels` says so.
    private mutating func readPlain(
        _ raw: UnsafeRawBufferPointer, count: Int, levels: [UInt32]?, into out: inout ColumnVector,
        failures: inout ParseFailures, firstRow: Int
    ) throws(ParquetError) {
        if copiesPlainValues { return try copyPlain(raw, count: count, levels: levels, into: &out) }
        var position = 0
        var bit = 0
        let width: Int
        switch column.physical {
        case .boolean: width = 0
        case .int32, .float: width = 4
        case .int64, .double: width = 8
        case .int96: width = 12
        case .byteArray: width = -1
        case .fixedLenByteArray:
            guard column.typeLength > 0 else { throw Self.corrupt(column, "fixed length") }
            width = column.typeLength
        }
        for row in 0..<count {
            if let levels, levels[row] == 0 {
                out.appendNull()
                continue
            }
            let ok: Bool
            switch column.physical {
            case .boolean:
                guard position < raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                let value = (raw[position] >> UInt8(bit)) & 1
                bit += 1
                if bit == 8 {
                    bit = 0
                    position += 1
                }
                ok = converter.append(int: Int64(value), to: &out)
            case .int32:
                guard position + 4 <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                let v = Int32(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: Int32.self))
                position += 4
                ok = converter.append(int: Int64(v), to: &out)
            case .int64:
                guard position + 8 <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                let v = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: Int64.self))
                position += 8
                ok = converter.append(int: v, to: &out)
            case .float:
                guard position + 4 <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                let bits = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt32.self))
                position += 4
                ok = converter.append(double: Double(Float(bitPattern: bits)), to: &out)
            case .double:
                guard position + 8 <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                let bits = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt64.self))
                position += 8
                ok = converter.append(double: Double(bitPattern: bits), to: &out)
            case .int96:
                guard position + 12 <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                ok = converter.append(
                    int96: UnsafeRawBufferPointer(rebasing: raw[position..<(position + 12)]), to: &out)
                position += 12
            case .byteArray:
                guard position + 4 <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: position, as: UInt32.self)))
                position += 4
                guard length <= raw.count - position else { throw Self.corrupt(column, "value length") }
                ok = converter.append(
                    bytes: UnsafeRawBufferPointer(rebasing: raw[position..<(position + length)]), to: &out)
                position += length
            case .fixedLenByteArray:
                guard position + width <= raw.count else { throw Self.corrupt(column, "fewer values than rows") }
                ok = converter.append(
                    bytes: UnsafeRawBufferPointer(rebasing: raw[position..<(position + width)]), to: &out)
                position += width
            }
            if !ok { failures.append((firstRow + row, converter.failedText)) }
        }
    }
}

/// `body` over the bytes of `array`, keeping the typed error.
func withBytes<T>(_ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(ParquetError) -> T) throws(ParquetError)
    -> T
{
    try array.withUnsafeBytes { raw in Result { () throws(ParquetError) in try body(raw) } }.get()
}
