import SluiceLoad

/// A streaming decompressor over one of the C libraries: compressed bytes in, in any pieces;
/// plain bytes out, in pieces of at most ``DecompressorOutput/capacity``.
protocol StreamDecompressor: AnyObject {
    /// The name clients use for it (`compression: <name>`), for messages.
    var name: String { get }
    /// Decompresses all of `input`, handing plain bytes to `output` as they come.
    /// - Throws: ``LoadError`` `.invalidArgument` naming the codec and the library's reason.
    func decompress(_ input: UnsafeRawBufferPointer, output: (UnsafeRawBufferPointer) throws -> Void) throws
    /// Whether the input so far ends where a compressed frame or stream ends (false = truncated).
    var isAtFrameEnd: Bool { get }
}

extension StreamDecompressor {
    func invalid(_ reason: String) -> LoadError {
        LoadError(.invalidArgument, "the body is not valid \(name) data: \(reason)")
    }
}

/// The output buffer and frame state every decompressor keeps.
class DecompressorOutput {
    static let capacity = 1 << 20
    let name: String
    var buffer = [UInt8](repeating: 0, count: DecompressorOutput.capacity)
    var isAtFrameEnd = true

    init(name: String) { self.name = name }

    /// Hands the first `count` bytes of ``buffer`` to `output`.
    func handOut(_ count: Int, to output: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard count > 0 else { return }
        try buffer.withUnsafeBytes { try output(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
    }
}
