/// A streaming decompressor over one of the C libraries: compressed bytes in, in any pieces;
/// plain bytes out, in pieces of at most ``DecompressorOutput/capacity``.
package protocol StreamDecompressor: AnyObject {
    /// The name clients use for it (`compression: <name>`), for messages.
    var name: String { get }
    /// Decompresses all of `input`, handing plain bytes to `output` as they come.
    /// - Throws: ``LoadError`` `.invalidArgument` naming the codec and the library's reason.
    func decompress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Whether the input so far ends where a compressed frame or stream ends (false = truncated).
    var isAtFrameEnd: Bool { get }
}

extension StreamDecompressor {
    package func invalid(_ reason: String) -> LoadError {
        LoadError(.invalidArgument, "the body is not valid \(name) data: \(reason)")
    }
}

/// The stream decompressor of a compression name (`gzip`, `deflate`, `lz4`/`lz4_frame`, `zstd`,
/// `bzip2`), or nil for an unknown name or plain data.
package func makeStreamDecompressor(_ name: String) -> (any StreamDecompressor)? {
    switch name.lowercased() {
    case "gzip", "gz", "x-gzip": GzipDecompressor(gzip: true)
    case "deflate", "zlib": GzipDecompressor(gzip: false)
    case "lz4", "lz4_frame", "lz4frame": LZ4FrameDecompressor()
    case "zstd", "zst": ZstdDecompressor()
    case "bzip2", "bz2": Bzip2Decompressor()
    default: nil
    }
}

/// The stream decompressor of a compression name.
/// - Throws: ``LoadError`` `.invalidArgument` for a name no codec has.
package func streamDecompressor(named name: String) throws(LoadError) -> any StreamDecompressor {
    guard let made = makeStreamDecompressor(name) else {
        throw LoadError(.invalidArgument, "Unknown compression '\(name)': use gzip, deflate, bzip2, lz4 or zstd")
    }
    return made
}

/// The output buffer and frame state every decompressor keeps.
package class DecompressorOutput {
    static let capacity = 1 << 20
    package let name: String
    var buffer = [UInt8](repeating: 0, count: DecompressorOutput.capacity)
    package var isAtFrameEnd = true

    init(name: String) { self.name = name }

    /// Hands the first `count` bytes of ``buffer`` to `output`.
    func handOut(_ count: Int, to output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard count > 0 else { return }
        try buffer.withUnsafeBytes { try output(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
