internal import CLZ4

/// `compression: lz4_frame` (and `format: lz4`): the LZ4 frame format, as the StarRocks SDKs and
/// the `lz4` command write it. Concatenated frames decode as one stream.
package final class LZ4FrameDecompressor: DecompressorOutput, StreamDecompressor {
    private let context: OpaquePointer

    package init?() {
        var created: OpaquePointer?
        let code = LZ4F_createDecompressionContext(&created, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(code) == 0, let created else { return nil }
        context = created
        super.init(name: "lz4_frame")
    }

    deinit { LZ4F_freeDecompressionContext(context) }

    package func decompress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard let base = input.baseAddress else { return }
        var offset = 0
        while offset < input.count {
            var consumed = input.count - offset
            var produced = buffer.count
            let hint = buffer.withUnsafeMutableBytes { out in
                LZ4F_decompress(context, out.baseAddress, &produced, base + offset, &consumed, nil)
            }
            if LZ4F_isError(hint) != 0 { throw invalid(String(cString: LZ4F_getErrorName(hint))) }
            offset += consumed
            isAtFrameEnd = hint == 0
            try handOut(produced, to: output)
            if consumed == 0, produced == 0 { throw invalid("no progress") }
        }
    }
}
