internal import CLZ4

/// LZ4 block compression of page payloads (StarRocks compresses segment pages with LZ4 too).
///
/// A compressed payload is stored as `varint rawLength` followed by one LZ4 block; the page's
/// layout byte carries ``PageCompression/flag``.
enum PageCompression {
    /// Set in a page's layout byte when its payload is LZ4-compressed.
    static let flag: UInt8 = 0x80
    /// Payloads smaller than this are stored as they are (compression would not pay for itself).
    static let minimumPayload = 512
    /// Keep the compressed form only when it saves at least 1/8 of the payload.
    static func worthKeeping(compressed: Int, raw: Int) -> Bool { compressed <= raw - raw / 8 }
    /// Largest payload a reader accepts (a corrupt length must not allocate gigabytes).
    static let maximumPayload = 256 << 20

    /// Compresses `out.bytes[start...]` in place when that saves enough; returns whether it did.
    static func compressTail(of out: inout ByteWriter, from start: Int) -> Bool {
        let raw = out.count - start
        guard raw >= minimumPayload, raw <= maximumPayload else { return false }
        let bound = Int(LZ4_compressBound(Int32(raw)))
        var header = ByteWriter(capacity: 10)
        header.writeVarint(UInt64(raw))
        let compressed = [UInt8](unsafeUninitializedCapacity: header.count + bound) { buffer, initialized in
            for (i, b) in header.bytes.enumerated() { buffer[i] = b }
            let written = out.bytes.withUnsafeBytes { source in
                LZ4_compress_default(
                    source.baseAddress!.advanced(by: start).assumingMemoryBound(to: CChar.self),
                    UnsafeMutableRawPointer(buffer.baseAddress! + header.count).assumingMemoryBound(to: CChar.self),
                    Int32(raw), Int32(bound))
            }
            initialized = written > 0 ? header.count + Int(written) : 0
        }
        guard !compressed.isEmpty, worthKeeping(compressed: compressed.count, raw: raw) else { return false }
        out.bytes.removeSubrange(start...)
        out.bytes.append(contentsOf: compressed)
        return true
    }

    /// Decompresses a payload written by ``compressTail(of:from:)``: `reader` stands at its
    /// varint length and the block runs to the reader's end.
    static func decompress(_ reader: inout ByteReader) throws(FormatError) -> [UInt8] {
        let rawLength = try reader.readInt(maximum: maximumPayload)
        let block = try reader.readBytes(reader.remaining)
        let at = reader.baseOffset + reader.position
        var decoded = 0
        let raw = [UInt8](unsafeUninitializedCapacity: rawLength) { buffer, initialized in
            decoded = block.withUnsafeBytes { source in
                guard rawLength > 0 else { return 0 }
                return Int(
                    LZ4_decompress_safe(
                        source.baseAddress!.assumingMemoryBound(to: CChar.self),
                        UnsafeMutableRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self),
                        Int32(source.count), Int32(rawLength)))
            }
            initialized = max(0, decoded)
        }
        guard decoded == rawLength else {
            throw FormatError(.corruption, "LZ4 payload decodes to \(decoded) bytes, expected \(rawLength)", offset: at)
        }
        return raw
    }
}
