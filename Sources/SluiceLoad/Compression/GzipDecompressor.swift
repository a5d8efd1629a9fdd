internal import CZlib

/// gzip (concatenated members decode as one stream, as `cat a.gz b.gz` makes) or a zlib stream,
/// through zlib's inflate: compressed CSV files of file loads.
package final class GzipDecompressor: DecompressorOutput, StreamDecompressor {
    private var stream = z_stream()
    private let gzip: Bool
    private var open = false

    package init?(gzip: Bool) {
        self.gzip = gzip
        super.init(name: gzip ? "gzip" : "deflate")
        guard start() else { return nil }
    }

    deinit { if open { inflateEnd(&stream) } }

    private func start() -> Bool {
        if open { inflateEnd(&stream) }
        stream = z_stream()
        // 15 + 16: gzip members only; 15: a zlib stream.
        open = inflateInit2_(&stream, gzip ? 15 + 16 : 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        return open
    }

    package func decompress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, !input.isEmpty else { return }
        var offset = 0
        while offset < input.count {
            if isAtFrameEnd && !gzip && offset > 0 { throw invalid("data after the end of the stream") }
            let remaining = input.count - offset
            stream.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(remaining)
            let (status, produced) = buffer.withUnsafeMutableBytes { out -> (Int32, Int) in
                stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(out.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, out.count - Int(stream.avail_out))
            }
            offset += remaining - Int(stream.avail_in)
            guard status == Z_OK || status == Z_STREAM_END || (status == Z_BUF_ERROR && produced == 0) else {
                throw invalid(stream.msg.map { String(cString: $0) } ?? "inflate error \(status)")
            }
            isAtFrameEnd = status == Z_STREAM_END
            try handOut(produced, to: output)
            if status == Z_STREAM_END {
                // Another gzip member may follow.
                guard start() else { throw invalid("cannot restart inflate") }
                isAtFrameEnd = true
                if !gzip && offset < input.count { throw invalid("data after the end of the stream") }
            } else if produced == 0 && stream.avail_in == 0 {
                break
            }
        }
    }
}
