internal import CZstd

/// `compression: zstd` (and `format: zstd`). Concatenated frames decode as one stream.
package final class ZstdDecompressor: DecompressorOutput, StreamDecompressor {
    private let stream: OpaquePointer

    package init?() {
        guard let created = ZSTD_createDStream() else { return nil }
        guard ZSTD_isError(ZSTD_initDStream(created)) == 0 else {
            ZSTD_freeDStream(created)
            return nil
        }
        stream = created
        super.init(name: "zstd")
    }

    deinit { ZSTD_freeDStream(stream) }

    package func decompress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress else { return }
        var source = ZSTD_inBuffer(src: base, size: input.count, pos: 0)
        var full = false
        // A full output buffer may leave decoded bytes inside zstd: call again until it is not full.
        while source.pos < source.size || full {
            let (code, produced) = buffer.withUnsafeMutableBytes { out in
                var target = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let code = ZSTD_decompressStream(stream, &target, &source)
                return (code, target.pos)
            }
            if ZSTD_isError(code) != 0 { throw invalid(String(cString: ZSTD_getErrorName(code))) }
            isAtFrameEnd = code == 0
            full = produced == buffer.count
            try handOut(produced, to: output)
        }
    }
}
