import CompressNIO
import NIOCore
import SluiceLoad

/// Undoes `compression` / `Content-Encoding` as body bytes stream in (gzip, deflate, zlib).
///
/// Used by one request at a time, from the blocking-I/O thread that feeds the load.
final class BodyDecoder: @unchecked Sendable {
    private let inflater: ZlibDecompressor?
    private var window: ByteBuffer

    /// - Returns: nil for an encoding this build cannot decode.
    init?(encoding: String?) {
        switch encoding?.lowercased() {
        case nil, "", "identity":
            inflater = nil
        case "gzip", "x-gzip":
            guard let z = try? ZlibDecompressor(algorithm: .gzip) else { return nil }
            inflater = z
        case "deflate":
            guard let z = try? ZlibDecompressor(algorithm: .zlib) else { return nil }
            inflater = z
        default:
            return nil
        }
        window = ByteBufferAllocator().buffer(capacity: inflater == nil ? 0 : 1 << 20)
    }

    /// Decodes `input` and hands the plain bytes to `load`.
    func feed(_ input: ByteBuffer, to load: RunningLoad) throws {
        guard let inflater else {
            try input.withUnsafeReadableBytes { try load.consume($0) }
            return
        }
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
