import CSnappy
import CZlib
import CZstd

/// Page decompression: UNCOMPRESSED, SNAPPY (libsnappy), GZIP (zlib) and ZSTD (libzstd).
enum ParquetCodec {
    static func name(_ codec: Int32) -> String {
        ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"].indices.contains(Int(codec))
            ? ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"][Int(codec)]
            : "codec \(codec)"
    }

    /// Whether pages of `codec` can be read.
    static func isSupported(_ codec: Int32) -> Bool { [0, 1, 2, 6].contains(codec) }

    /// `input` decompressed to exactly `size` bytes.
    /// - Throws: `.corrupt` when the data does not decompress to `size` bytes; `.unsupported` codecs.
    static func decompress(_ input: UnsafeRawBufferPointer, codec: Int32, size: Int) throws(ParquetError) -> [UInt8] {
        if codec == 0 {
            guard input.count == size else { throw corrupt("UNCOMPRESSED") }
            return Array(input)
        }
        var output = [UInt8](repeating: 0, count: size)
        let ok = output.withUnsafeMutableBytes { out -> Bool in
            switch codec {
            case 1:
                var length = size
                guard let base = input.baseAddress, let target = out.baseAddress else { return size == 0 }
                return snappy_uncompress(
                    base.assumingMemoryBound(to: CChar.self), input.count, target.assumingMemoryBound(to: CChar.self),
                    &length) == SNAPPY_OK && length == size
            case 2:
                return inflate(input, into: out) == size
            case 6:
                guard let target = out.baseAddress, let base = input.baseAddress else { return size == 0 }
                let written = ZSTD_decompress(target, size, base, input.count)
                return ZSTD_isError(written) == 0 && written == size
            default:
                return false
            }
        }
        guard isSupported(codec) else {
            throw ParquetError(
                .unsupported,
                "Parquet compression \(name(codec)) is not supported: write the file with SNAPPY, GZIP, ZSTD or none")
        }
        guard ok else { throw corrupt(name(codec)) }
        return output
    }

    private static func corrupt(_ codec: String) -> ParquetError {
        ParquetError(.corrupt, "A Parquet page does not decompress (\(codec)): the file is truncated or corrupt")
    }

    /// gzip or zlib stream → bytes written (-1 on error).
    private static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        var stream = z_stream()
        // 15 + 32: a zlib or gzip header, detected.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return -1
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        stream.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(output.count)
        let status = CZlib.inflate(&stream, Z_FINISH)
        guard status == Z_STREAM_END || (status == Z_OK && stream.avail_out == 0) || status == Z_BUF_ERROR else {
            return -1
        }
        return output.count - Int(stream.avail_out)
    }
}
