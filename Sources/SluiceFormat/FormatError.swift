/// An error decoding bytes: a checksum mismatch, a truncated page or an unknown encoding.
///
/// Corruption found on disk is an operating error, never a crash: readers throw this with the
/// offset so the storage layer can name the file.
public struct FormatError: Error, Sendable, CustomStringConvertible, Equatable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case corruption, truncated, unsupported, invalidValue }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// Bytes fail their checksum or do not parse.
        public static let corruption = Code(.corruption)
        /// Fewer bytes than a header promised.
        public static let truncated = Code(.truncated)
        /// A version or encoding this build does not know.
        public static let unsupported = Code(.unsupported)
        /// A value that cannot be represented in its type.
        public static let invalidValue = Code(.invalidValue)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Byte offset inside the file or buffer where the problem was found, if known.
    public var offset: Int?

    public init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    public var description: String {
        if let offset { return "\(code): \(message) at offset \(offset)" }
        return "\(code): \(message)"
    }

    public static func == (lhs: FormatError, rhs: FormatError) -> Bool { lhs.code == rhs.code }
}
