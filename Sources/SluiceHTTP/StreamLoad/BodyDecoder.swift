import CompressNIO
import NIOCore
import SluiceLoad

/// Undoes body compression as bytes stream in: `compression` / `Content-Encoding` (gzip,
/// deflate, lz4_frame, zstd, bzip2) or a compressed-CSV `format` (gzip, deflate, lz4, zstd, bzip2).
///
/// Used by one request at a time, from the blocking-I/O thread that feeds the load.
final class BodyDecoder: @unchecked Sendable {
    private enum Codec {
        case identity
        /// gzip and deflate through CompressNIO (zlib).
        case zlib(ZlibDecompressor, window: ByteBuffer)
        case stream(any StreamDecompressor)
    }

    private var codec: Codec

    /// The encodings this build decodes, by the names clients use (lowercased).
    private enum Encoding {
        case identity, gzip, deflate, lz4Frame, zstd, bzip2

        init?(_ name: String?) {
            switch name?.lowercased() {
            case nil, "", "identity": self = .identity
            case "gzip", "x-gzip": self = .gzip
            case "deflate": self = .deflate
            case "lz4_frame", "lz4frame", "lz4": self = .lz4Frame
            case "zstd": self = .zstd
            case "bzip2", "bz2": self = .bzip2
            default: return nil
            }
        }
    }

    /// Whether `encoding` names something this build decodes (case-insensitive).
    static func supports(_ encoding: String) -> Bool { Encoding(encoding) != nil }

    /// - Returns: nil for an encoding this build cannot decode.
    init?(encoding: String?) {
        switch Encoding(encoding) {
        case nil:
            return nil
        case .identity:
            codec = .identity
        case .gzip:
            guard let zlib = Self.zlib(.gzip) else { return nil }
            codec = zlib
        case .deflate:
            guard let zlib = Self.zlib(.zlib) else { return nil }
            codec = zlib
        case .lz4Frame:
            guard let lz4 = LZ4FrameDecompressor() else { return nil }
            codec = .stream(lz4)
        case .zstd:
            guard let zstd = ZstdDecompressor() else { return nil }
            codec = .stream(zstd)
        case .bzip2:
            codec = .stream(Bzip2Decompressor())
        }
    }

    private static func zlib(_ algorithm: ZlibAlgorithm) -> Codec? {
        guard let inflater = try? ZlibDecompressor(algorithm: algorithm) else { return nil }
        return .zlib(inflater, window: ByteBufferAllocator().buffer(capacity: 1 << 20))
    }

    /// Decodes `input` and hands the plain bytes to `load`.
    func feed(_ input: ByteBuffer, to load: RunningLoad) throws {
        switch codec {
        case .identity:
            try input.withUnsafeReadableBytes { try load.consume($0) }
        case .stream(let decompressor):
            try input.withUnsafeReadableBytes { try decompressor.decompress($0) { try load.consume($0) } }
        case .zlib(let inflater, var window):
            defer { codec = .zlib(inflater, window: window) }
            var input = input
            while input.readableBytes > 0 {
                do {
                    try inflater.inflate(from: &input, to: &window)
                    // Returned with input left: a gzip member ended; another may follow (`cat a.gz b.gz`).
                    if input.readableBytes > 0 { try inflater.reset() }
                } catch let error as CompressNIOError where error == .bufferOverflow {
                    // Window full: hand it over and continue.
                } catch let error as CompressNIOError where error == .inputBufferOverflow {
                    // Needs more input.
                } catch {
                    throw LoadError(.invalidArgument, "the body is not valid compressed data: \(error)")
                }
                try window.withUnsafeReadableBytes { try load.consume($0) }
                window.clear()
                if input.readableBytes == 0 { break }
            }
        }
    }

    /// Called after the last byte: a body that stops inside an lz4, zstd or bzip2 frame is
    /// truncated, not merely short.
    func finish() throws {
        if case .stream(let decompressor) = codec, !decompressor.isAtFrameEnd {
            throw decompressor.invalid("the body ends inside a compressed frame (truncated)")
        }
    }
}
