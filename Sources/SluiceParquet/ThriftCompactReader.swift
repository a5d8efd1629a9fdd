/// Reads Thrift's compact protocol (Parquet's footer and page headers): zig-zag varints, field
/// headers with id deltas, lists, binaries; unknown fields are skipped by type. Bounds-checked:
/// a damaged header throws `.corrupt`, never reads past the buffer.
struct ThriftCompactReader {
    enum FieldType: UInt8 {
        case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7, binary = 8
        case list = 9, set = 10, map = 11, structure = 12
    }

    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    /// Nesting of structs and containers being read (bounded: damaged input cannot recurse forever).
    private var depth = 0
    static let maxDepth = 64

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    static func corrupt(_ what: String) -> ParquetError {
        ParquetError(.corrupt, "Parquet metadata is damaged (\(what)): the file is truncated or corrupt")
    }

    mutating func byte() throws(ParquetError) -> UInt8 {
        guard position < bytes.count else { throw Self.corrupt("unexpected end") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws(ParquetError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw Self.corrupt("varint too long") }
        }
    }

    mutating func zigzag() throws(ParquetError) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    mutating func i32() throws(ParquetError) -> Int32 {
        let v = try zigzag()
        guard let narrow = Int32(exactly: v) else { throw Self.corrupt("i32 out of range") }
        return narrow
    }

    mutating func binary() throws(ParquetError) -> UnsafeRawBufferPointer {
        let length = try varint()
        guard length <= UInt64(bytes.count - position) else { throw Self.corrupt("binary length") }
        defer { position += Int(length) }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))])
    }

    mutating func string() throws(ParquetError) -> String {
        String(decoding: try binary(), as: UTF8.self)
    }

    mutating func double() throws(ParquetError) -> Double {
        guard bytes.count - position >= 8 else { throw Self.corrupt("double") }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
        position += 8
        return Double(bitPattern: bits)
    }

    /// Reads a struct's fields: `field(id, type)` reads each value it knows (and returns true),
    /// or returns false to have it skipped.
    mutating func readStruct(_ field: (inout ThriftCompactReader, Int16, FieldType) throws(ParquetError) -> Bool)
        throws(ParquetError)
    {
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else { throw Self.corrupt("nesting too deep") }
        var lastID: Int16 = 0
        while true {
            let header = try byte()
            guard let type = FieldType(rawValue: header & 0x0F) else {
                throw Self.corrupt("field type \(header & 0x0F)")
            }
            if type == .stop { return }
            let delta = header >> 4
            let id: Int16
            if delta != 0 {
                id = lastID &+ Int16(delta)
            } else {
                guard let explicit = Int16(exactly: try zigzag()) else { throw Self.corrupt("field id") }
                id = explicit
            }
            lastID = id
            if try !field(&self, id, type) { try skip(type) }
        }
    }

    /// A boolean field's value (compact encodes it in the field header's type).
    static func boolean(_ type: FieldType) -> Bool { type == .boolTrue }

    /// A list header: element type and count.
    mutating func listHeader() throws(ParquetError) -> (FieldType, Int) {
        let header = try byte()
        guard let type = FieldType(rawValue: header & 0x0F) else { throw Self.corrupt("list element type") }
        var count = Int(header >> 4)
        if count == 15 {
            let n = try varint()
            guard n <= UInt64(bytes.count) else { throw Self.corrupt("list size") }
            count = Int(n)
        }
        return (type, count)
    }

    /// Reads a list whose elements `element` reads.
    mutating func readList<T>(_ element: (inout ThriftCompactReader, FieldType) throws(ParquetError) -> T)
        throws(ParquetError) -> [T]
    {
        let (type, count) = try listHeader()
        var out = [T]()
        out.reserveCapacity(min(count, 4096))
        for _ in 0..<count { out.append(try element(&self, type)) }
        return out
    }

    /// Skips one value of `type`.
    mutating func skip(_ type: FieldType) throws(ParquetError) {
        switch type {
        case .stop: return
        case .boolTrue, .boolFalse: return
        case .byte: position += 1
        case .i16, .i32, .i64: _ = try varint()
        case .double: position += 8
        case .binary: _ = try binary()
        case .list, .set:
            let (element, count) = try listHeader()
            depth += 1
            defer { depth -= 1 }
            guard depth <= Self.maxDepth else { throw Self.corrupt("nesting too deep") }
            for _ in 0..<count {
                // Booleans in containers take a byte each.
                if element == .boolTrue || element == .boolFalse { position += 1 } else { try skip(element) }
            }
        case .map:
            let count = try varint()
            guard count <= UInt64(bytes.count) else { throw Self.corrupt("map size") }
            if count > 0 {
                let types = try byte()
                guard let key = FieldType(rawValue: types >> 4), let value = FieldType(rawValue: types & 0x0F) else {
                    throw Self.corrupt("map types")
                }
                for _ in 0..<count {
                    try skip(key)
                    try skip(value)
                }
            }
        case .structure:
            try readStruct { _, _, _ throws(ParquetError) in false }
        }
        guard position <= bytes.count else { throw Self.corrupt("unexpected end") }
    }
}
