/// The Parquet physical types (`Type` in parquet.thrift).
package enum ParquetPhysicalType: Int32, Sendable {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

/// What a column's values mean beyond their physical type (LogicalType, or the older
/// ConvertedType when a writer gave only that).
package enum ParquetLogicalType: Sendable, Equatable {
    case none
    case string
    case json
    case enumeration
    case date
    /// `isAdjustedToUTC`, and the unit as a divisor to microseconds (1000 for millis: multiply).
    case timestamp(utc: Bool, unit: TimeUnit)
    case time(unit: TimeUnit)
    case decimal(precision: Int, scale: Int)
    case integer(bits: Int, signed: Bool)
    case uuid
    case unknown
    /// LIST, MAP and other nested annotations.
    case nested(String)

    package enum TimeUnit: Sendable, Equatable { case millis, micros, nanos }
}

/// One leaf column of a flat Parquet schema.
package struct ParquetColumn: Sendable, Equatable {
    package var name: String
    package var physical: ParquetPhysicalType
    package var logical: ParquetLogicalType
    /// FIXED_LEN_BYTE_ARRAY's width.
    package var typeLength: Int
    /// OPTIONAL (a definition level of 1 marks a value) or REQUIRED.
    package var optional: Bool
}

/// Min and max of a column chunk, PLAIN-encoded (byte arrays without their length prefix).
package struct ParquetStatistics: Sendable, Equatable {
    package var min: [UInt8]?
    package var max: [UInt8]?
    package var nullCount: Int64?
}

/// Where one column's data lies in one row group.
package struct ParquetColumnChunk: Sendable, Equatable {
    package var codec: Int32
    package var valueCount: Int64
    /// Offset of the first page (the dictionary page when there is one).
    package var start: Int64
    package var compressedSize: Int64
    package var statistics: ParquetStatistics?
}

package struct ParquetRowGroup: Sendable, Equatable {
    package var rowCount: Int64
    /// One per leaf column, in schema order.
    package var columns: [ParquetColumnChunk]
}

/// A file's footer: its schema (flat leaf columns), row groups and writer.
package struct ParquetMetadata: Sendable, Equatable {
    package var columns: [ParquetColumn]
    package var rowGroups: [ParquetRowGroup]
    package var rowCount: Int64
    package var createdBy: String?

    /// Decodes the `FileMetaData` struct.
    /// - Throws: ``ParquetError``: `.corrupt` for bytes that do not decode, `.unsupported` for a
    ///   nested schema (groups, repeated fields), naming the column.
    package init(thrift bytes: UnsafeRawBufferPointer) throws(ParquetError) {
        var reader = ThriftCompactReader(bytes)
        var elements = [SchemaElement]()
        var groups = [ParquetRowGroup]()
        var rows: Int64 = 0
        var creator: String?
        try reader.readStruct { r, id, type throws(ParquetError) in
            switch (id, type) {
            case (2, .list): elements = try r.readList { r, _ throws(ParquetError) in try SchemaElement(&r) }
            case (3, .i64): rows = try r.zigzag()
            case (4, .list): groups = try r.readList { r, _ throws(ParquetError) in try Self.rowGroup(&r) }
            case (6, .binary): creator = try r.string()
            default: return false
            }
            return true
        }
        columns = try Self.flatColumns(elements)
        for group in groups where group.columns.count != columns.count {
            throw ThriftCompactReader.corrupt(
                "a row group has \(group.columns.count) columns, the schema \(columns.count)")
        }
        rowGroups = groups
        rowCount = rows
        createdBy = creator
    }

    /// The leaf columns of a flat schema: the root's children, each a primitive.
    private static func flatColumns(_ elements: [SchemaElement]) throws(ParquetError) -> [ParquetColumn] {
        guard let root = elements.first else { throw ThriftCompactReader.corrupt("empty schema") }
        var columns = [ParquetColumn]()
        var index = 1
        for _ in 0..<root.childCount {
            guard index < elements.count else { throw ThriftCompactReader.corrupt("schema children") }
            let element = elements[index]
            if element.childCount > 0 || element.physical == nil || element.repetition == 2 {
                throw ParquetError(
                    .unsupported,
                    "Column '\(element.name)' is nested (a group, list, map or repeated field): only flat columns of "
                        + "primitive types can be read; flatten it when writing the file")
            }
            columns.append(
                ParquetColumn(
                    name: element.name, physical: element.physical!, logical: element.logicalType,
                    typeLength: Int(element.typeLength ?? 0), optional: element.repetition != 0))
            index += 1
        }
        guard index == elements.count else { throw ThriftCompactReader.corrupt("schema element count") }
        return columns
    }

    private static func rowGroup(_ r: inout ThriftCompactReader) throws(ParquetError) -> ParquetRowGroup {
        var chunks = [ParquetColumnChunk]()
        var rows: Int64 = 0
        try r.readStruct { r, id, type throws(ParquetError) in
            switch (id, type) {
            case (1, .list): chunks = try r.readList { r, _ throws(ParquetError) in try Self.columnChunk(&r) }
            case (3, .i64): rows = try r.zigzag()
            default: return false
            }
            return true
        }
        return ParquetRowGroup(rowCount: rows, columns: chunks)
    }

    private static func columnChunk(_ r: inout ThriftCompactReader) throws(ParquetError) -> ParquetColumnChunk {
        var chunk: ParquetColumnChunk?
        try r.readStruct { r, id, type throws(ParquetError) in
            guard id == 3, type == .structure else { return false }
            chunk = try Self.columnMetaData(&r)
            return true
        }
        guard let chunk else { throw ThriftCompactReader.corrupt("a column chunk without metadata") }
        return chunk
    }

    private static func columnMetaData(_ r: inout ThriftCompactReader) throws(ParquetError) -> ParquetColumnChunk {
        var codec: Int32 = 0
        var values: Int64 = 0
        var size: Int64 = 0
        var dataOffset: Int64 = -1
        var dictionaryOffset: Int64?
        var statistics: ParquetStatistics?
        try r.readStruct { r, id, type throws(ParquetError) in
            switch (id, type) {
            case (4, .i32): codec = try r.i32()
            case (5, .i64): values = try r.zigzag()
            case (7, .i64): size = try r.zigzag()
            case (9, .i64): dataOffset = try r.zigzag()
            case (11, .i64): dictionaryOffset = try r.zigzag()
            case (12, .structure): statistics = try Self.statistics(&r)
            default: return false
            }
            return true
        }
        guard dataOffset >= 0, size >= 0 else { throw ThriftCompactReader.corrupt("column chunk offsets") }
        // Some writers put 0 for "no dictionary".
        let start = dictionaryOffset.map { $0 > 0 && $0 < dataOffset ? $0 : dataOffset } ?? dataOffset
        return ParquetColumnChunk(
            codec: codec, valueCount: values, start: start, compressedSize: size, statistics: statistics)
    }

    private static func statistics(_ r: inout ThriftCompactReader) throws(ParquetError) -> ParquetStatistics {
        var stats = ParquetStatistics()
        var legacyMin: [UInt8]?
        var legacyMax: [UInt8]?
        try r.readStruct { r, id, type throws(ParquetError) in
            switch (id, type) {
            case (1, .binary): legacyMax = Array(try r.binary())
            case (2, .binary): legacyMin = Array(try r.binary())
            case (3, .i64): stats.nullCount = try r.zigzag()
            case (5, .binary): stats.max = Array(try r.binary())
            case (6, .binary): stats.min = Array(try r.binary())
            default: return false
            }
            return true
        }
        // The deprecated fields are signed-order only: kept for numbers, where that is right.
        if stats.min == nil && stats.max == nil {
            stats.min = legacyMin
            stats.max = legacyMax
        }
        return stats
    }
}

/// One node of the depth-first schema list.
private struct SchemaElement {
    var physical: ParquetPhysicalType?
    var typeLength: Int32?
    var repetition: Int32?
    var name = ""
    var childCount = 0
    var converted: Int32?
    var scale: Int32?
    var precision: Int32?
    var logical: ParquetLogicalType?

    init(_ r: inout ThriftCompactReader) throws(ParquetError) {
        var element = SchemaElement()
        try r.readStruct { r, id, type throws(ParquetError) in
            switch (id, type) {
            case (1, .i32):
                let raw = try r.i32()
                guard let physical = ParquetPhysicalType(rawValue: raw) else {
                    throw ThriftCompactReader.corrupt("physical type \(raw)")
                }
                element.physical = physical
            case (2, .i32): element.typeLength = try r.i32()
            case (3, .i32): element.repetition = try r.i32()
            case (4, .binary): element.name = try r.string()
            case (5, .i32): element.childCount = Int(max(0, try r.i32()))
            case (6, .i32): element.converted = try r.i32()
            case (7, .i32): element.scale = try r.i32()
            case (8, .i32): element.precision = try r.i32()
            case (10, .structure): element.logical = try Self.logicalType(&r)
            default: return false
            }
            return true
        }
        self = element
    }

    private init() {}

    var logicalType: ParquetLogicalType {
        if let logical { return logical }
        switch converted {
        case nil: return .none
        case 0: return .string
        case 1, 2, 3: return .nested("LIST or MAP")
        case 4: return .enumeration
        case 5:
            guard let precision, let scale, (1...76).contains(precision), (0...precision).contains(scale) else {
                return .unknown
            }
            return .decimal(precision: Int(precision), scale: Int(scale))
        case 6: return .date
        case 7: return .time(unit: .millis)
        case 8: return .time(unit: .micros)
        case 9: return .timestamp(utc: true, unit: .millis)
        case 10: return .timestamp(utc: true, unit: .micros)
        case 11: return .integer(bits: 8, signed: false)
        case 12: return .integer(bits: 16, signed: false)
        case 13: return .integer(bits: 32, signed: false)
        case 14: return .integer(bits: 64, signed: false)
        case 15: return .integer(bits: 8, signed: true)
        case 16: return .integer(bits: 16, signed: true)
        case 17: return .integer(bits: 32, signed: true)
        case 18: return .integer(bits: 64, signed: true)
        case 19: return .json
        default: return .unknown
        }
    }

    private static func logicalType(_ r: inout ThriftCompactReader) throws(ParquetError) -> ParquetLogicalType {
        var result = ParquetLogicalType.unknown
        try r.readStruct { r, id, type throws(ParquetError) in
            guard type == .structure else { return false }
            switch id {
            case 1: result = .string
            case 2: result = .nested("MAP")
            case 3: result = .nested("LIST")
            case 4: result = .enumeration
            case 5:
                var scale: Int32 = 0
                var precision: Int32 = 0
                try r.readStruct { r, id, type throws(ParquetError) in
                    switch (id, type) {
                    case (1, .i32): scale = try r.i32()
                    case (2, .i32): precision = try r.i32()
                    default: return false
                    }
                    return true
                }
                // Out-of-range annotations (a damaged footer) leave the column unannotated.
                result =
                    (1...76).contains(precision) && (0...precision).contains(scale)
                    ? .decimal(precision: Int(precision), scale: Int(scale)) : .unknown
                return true
            case 6: result = .date
            case 7, 8:
                var utc = false
                var unit = ParquetLogicalType.TimeUnit.micros
                try r.readStruct { r, id, type throws(ParquetError) in
                    switch (id, type) {
                    case (1, .boolTrue), (1, .boolFalse): utc = ThriftCompactReader.boolean(type)
                    case (2, .structure):
                        try r.readStruct { _, unitID, _ throws(ParquetError) in
                            unit = unitID == 1 ? .millis : unitID == 3 ? .nanos : .micros
                            return false
                        }
                    default: return false
                    }
                    return true
                }
                result = id == 7 ? .time(unit: unit) : .timestamp(utc: utc, unit: unit)
                return true
            case 10:
                var bits: Int = 64
                var signed = true
                try r.readStruct { r, id, type throws(ParquetError) in
                    switch (id, type) {
                    case (1, .byte): bits = Int(Int8(bitPattern: try r.byte()))
                    case (2, .boolTrue), (2, .boolFalse): signed = ThriftCompactReader.boolean(type)
                    default: return false
                    }
                    return true
                }
                result = .integer(bits: bits, signed: signed)
                return true
            case 11: result = .unknown
            case 12: result = .json
            case 14: result = .uuid
            default: result = .unknown
            }
            return false
        }
        return result
    }
}
