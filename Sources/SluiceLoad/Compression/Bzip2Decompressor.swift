internal import CBzip2

/// `compression: bzip2` (and `format: bzip2`). Concatenated streams (`pbzip2`, `cat a.bz2 b.bz2`)
/// decode as one.
package final class Bzip2Decompressor: DecompressorOutput, StreamDecompressor {
    private var stream = bz_stream()
    /// Inside a stream (false between streams: the next byte must start a new one).
    private var open = false

    package init() { super.init(name: "bzip2") }

    deinit { if open { BZ2_bzDecompressEnd(&stream) } }

    package func decompress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress, input.count > 0 else { return }
        stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self))
        stream.avail_in = UInt32(input.count)
        while stream.avail_in > 0 {
            if !open {
                guard BZ2_bzDecompressInit(&stream, 0, 0) == BZ_OK else { throw invalid("cannot start a stream") }
                open = true
                isAtFrameEnd = false
            }
            let (code, produced) = buffer.withUnsafeMutableBytes { out in
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: CChar.self)
                stream.avail_out = UInt32(out.count)
                let code = BZ2_bzDecompress(&stream)
                return (code, out.count - Int(stream.avail_out))
            }
            guard code == BZ_OK || code == BZ_STREAM_END else {
                throw invalid("error \(code) (BZ_DATA_ERROR is -4, BZ_DATA_ERROR_MAGIC -5)")
            }
            try handOut(produced, to: output)
            if code == BZ_STREAM_END {
                BZ2_bzDecompressEnd(&stream)
                open = false
                isAtFrameEnd = true
            } else if produced == 0, stream.avail_in > 0 {
                throw invalid("no progress")
            }
        }
        stream.next_in = nil
    }
}
