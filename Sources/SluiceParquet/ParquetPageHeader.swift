/// A page's header (`PageHeader` with its data, dictionary or v2 header).
struct ParquetPageHeader {
    enum Kind: Int32 { case data = 0, index = 1, dictionary = 2, dataV2 = 3 }

    var kind: Kind
    var uncompressedSize: Int
    var compressedSize: Int
    /// Values in the page, NULLs included (dictionary: entries).
    var valueCount = 0
    var encoding: Int32 = 0
    var definitionEncoding: Int32 = 3
    /// v2: NULLs, level byte lengths (uncompressed, before the values) and whether values are compressed.
    var nullCount = 0
    var definitionLength = 0
    var repetitionLength = 0
    var valuesCompressed = true

    /// Decodes the header at `reader`'s position, leaving it just past the header.
    init(_ reader: inout ThriftCompactReader) throws(ParquetError) {
        var kind: Int32 = -1
        var uncompressed: Int32 = -1
        var compressed: Int32 = -1
        var header = ParquetPageHeader.empty
        try reader.readStruct { r, id, type throws(ParquetError) in
            switch (id, type) {
            case (1, .i32): kind = try r.i32()
            case (2, .i32): uncompressed = try r.i32()
            case (3, .i32): compressed = try r.i32()
            case (5, .structure):
                try r.readStruct { r, id, type throws(ParquetError) in
                    switch (id, type) {
                    case (1, .i32): header.valueCount = Int(try r.i32())
                    case (2, .i32): header.encoding = try r.i32()
                    case (3, .i32): header.definitionEncoding = try r.i32()
                    default: return false
                    }
                    return true
                }
            case (7, .structure):
                try r.readStruct { r, id, type throws(ParquetError) in
                    switch (id, type) {
                    case (1, .i32): header.valueCount = Int(try r.i32())
                    case (2, .i32): header.encoding = try r.i32()
                    default: return false
                    }
                    return true
                }
            case (8, .structure):
                try r.readStruct { r, id, type throws(ParquetError) in
                    switch (id, type) {
                    case (1, .i32): header.valueCount = Int(try r.i32())
                    case (2, .i32): header.nullCount = Int(try r.i32())
                    case (4, .i32): header.encoding = try r.i32()
                    case (5, .i32): header.definitionLength = Int(try r.i32())
                    case (6, .i32): header.repetitionLength = Int(try r.i32())
                    case (7, .boolTrue), (7, .boolFalse): header.valuesCompressed = ThriftCompactReader.boolean(type)
                    default: return false
                    }
                    return true
                }
            default: return false
            }
            return true
        }
        guard let k = Kind(rawValue: kind), uncompressed >= 0, compressed >= 0, header.valueCount >= 0,
            header.definitionLength >= 0, header.repetitionLength >= 0
        else { throw ThriftCompactReader.corrupt("page header") }
        header.kind = k
        header.uncompressedSize = Int(uncompressed)
        header.compressedSize = Int(compressed)
        self = header
    }

    private init(kind: Kind, uncompressedSize: Int, compressedSize: Int) {
        self.kind = kind
        self.uncompressedSize = uncompressedSize
        self.compressedSize = compressedSize
    }

    private static var empty: ParquetPageHeader {
        ParquetPageHeader(kind: .data, uncompressedSize: 0, compressedSize: 0)
    }
}
