/// Appends little-endian integers and varints to a growable byte array.
public struct ByteWriter: Sendable {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    @inlinable
    public mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Writes an unsigned LEB128 varint.
    public mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Writes a zig-zag encoded signed varint.
    public mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    public mutating func write(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Writes a varint length followed by the bytes.
    public mutating func writeLengthPrefixed(_ other: [UInt8]) {
        writeVarint(UInt64(other.count))
        bytes.append(contentsOf: other)
    }

    public mutating func writeString(_ string: String) { writeLengthPrefixed(Array(string.utf8)) }

    /// Overwrites a little-endian integer at `offset`.
    public mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, b) in raw.enumerated() { bytes[offset + i] = b }
        }
    }

    public mutating func reserveCapacity(_ n: Int) { bytes.reserveCapacity(n) }
}

/// Reads what ``ByteWriter`` wrote; every read is bounds-checked and throws ``FormatError``.
public struct ByteReader {
    public let bytes: [UInt8]
    public var position: Int
    public let end: Int
    /// Added to positions in error messages (the buffer's offset inside its file).
    public var baseOffset: Int

    public init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil, baseOffset: Int = 0) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
        self.baseOffset = baseOffset
    }

    public var remaining: Int { end - position }
    public var isAtEnd: Bool { position >= end }

    private func need(_ n: Int) throws(FormatError) {
        guard n >= 0, position + n <= end else {
            throw FormatError(.truncated, "need \(n) bytes, \(remaining) left", offset: baseOffset + position)
        }
    }

    @inlinable
    public mutating func read<T: FixedWidthInteger>(_: T.Type) throws(FormatError) -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= end else {
            throw FormatError(.truncated, "need \(size) bytes, \(end - position) left", offset: baseOffset + position)
        }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += size
        return T(littleEndian: value)
    }

    public mutating func readDouble() throws(FormatError) -> Double {
        Double(bitPattern: try read(UInt64.self))
    }

    public mutating func readVarint() throws(FormatError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            try need(1)
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { throw FormatError(.corruption, "varint too long", offset: baseOffset + position) }
        }
    }

    public mutating func readSignedVarint() throws(FormatError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func readInt(maximum: Int = Int(Int32.max)) throws(FormatError) -> Int {
        let raw = try readVarint()
        guard raw <= UInt64(maximum) else {
            throw FormatError(.corruption, "length \(raw) out of range", offset: baseOffset + position)
        }
        return Int(raw)
    }

    public mutating func readBytes(_ n: Int) throws(FormatError) -> ArraySlice<UInt8> {
        try need(n)
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    public mutating func readLengthPrefixed() throws(FormatError) -> ArraySlice<UInt8> {
        try readBytes(try readInt())
    }

    public mutating func readString() throws(FormatError) -> String {
        String(decoding: try readLengthPrefixed(), as: UTF8.self)
    }

    public mutating func skip(_ n: Int) throws(FormatError) {
        try need(n)
        position += n
    }
}
