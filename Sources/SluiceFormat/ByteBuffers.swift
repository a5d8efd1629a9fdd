/// Appends little-endian integers and varints to a growable byte array.
package struct ByteWriter: Sendable {
    package var bytes: [UInt8]

    package init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    package var count: Int { bytes.count }

    @inlinable
    package mutating func write<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    package mutating func write(_ value: Double) { write(value.bitPattern) }

    /// Writes an unsigned LEB128 varint.
    package mutating func writeVarint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    /// Writes a zig-zag encoded signed varint.
    package mutating func writeSignedVarint(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    package mutating func write(bytes other: some Sequence<UInt8>) { bytes.append(contentsOf: other) }

    /// Writes a varint length followed by the bytes.
    package mutating func writeLengthPrefixed(_ other: [UInt8]) {
        writeVarint(UInt64(other.count))
        bytes.append(contentsOf: other)
    }

    package mutating func writeString(_ string: String) { writeLengthPrefixed(Array(string.utf8)) }

    /// Overwrites a little-endian integer at `offset`.
    package mutating func patch<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (i, b) in raw.enumerated() { bytes[offset + i] = b }
        }
    }

    package mutating func reserveCapacity(_ n: Int) { bytes.reserveCapacity(n) }
}

/// Reads what ``ByteWriter`` wrote; every read is bounds-checked and throws ``FormatError``.
package struct ByteReader {
    package let bytes: [UInt8]
    package var position: Int
    package let end: Int
    /// Added to positions in error messages (the buffer's offset inside its file).
    package var baseOffset: Int

    package init(_ bytes: [UInt8], start: Int = 0, end: Int? = nil, baseOffset: Int = 0) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
        self.baseOffset = baseOffset
    }

    package var remaining: Int { end - position }
    package var isAtEnd: Bool { position >= end }

    private func need(_ n: Int) throws(FormatError) {
        guard n >= 0, position + n <= end else {
            throw FormatError(.truncated, "need \(n) bytes, \(remaining) left", offset: baseOffset + position)
        }
    }

    @inlinable
    package mutating func read<T: FixedWidthInteger>(_: T.Type) throws(FormatError) -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= end else {
            throw FormatError(.truncated, "need \(size) bytes, \(end - position) left", offset: baseOffset + position)
        }
        let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: T.self) }
        position += size
        return T(littleEndian: value)
    }

    package mutating func readDouble() throws(FormatError) -> Double {
        Double(bitPattern: try read(UInt64.self))
    }

    package mutating func readVarint() throws(FormatError) -> UInt64 {
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

    package mutating func readSignedVarint() throws(FormatError) -> Int64 {
        let raw = try readVarint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    package mutating func readInt(maximum: Int = Int(Int32.max)) throws(FormatError) -> Int {
        let raw = try readVarint()
        guard raw <= UInt64(maximum) else {
            throw FormatError(.corruption, "length \(raw) out of range", offset: baseOffset + position)
        }
        return Int(raw)
    }

    package mutating func readBytes(_ n: Int) throws(FormatError) -> ArraySlice<UInt8> {
        try need(n)
        defer { position += n }
        return bytes[position..<(position + n)]
    }

    package mutating func readLengthPrefixed() throws(FormatError) -> ArraySlice<UInt8> {
        try readBytes(try readInt())
    }

    package mutating func readString() throws(FormatError) -> String {
        String(decoding: try readLengthPrefixed(), as: UTF8.self)
    }

    package mutating func skip(_ n: Int) throws(FormatError) {
        try need(n)
        position += n
    }
}
