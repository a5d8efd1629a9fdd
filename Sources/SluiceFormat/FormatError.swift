/// An error decoding bytes: a checksum mismatch, a truncated page or an unknown encoding.
///
/// Corruption found on disk is an operating error, never a crash: readers throw this with the
/// offset so the storage layer can name the file.
package struct FormatError: Error, Sendable, CustomStringConvertible, Equatable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case corruption, truncated, unsupported, invalidValue }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// Bytes fail their checksum or do not parse.
        package static let corruption = Code(.corruption)
        /// Fewer bytes than a header promised.
        package static let truncated = Code(.truncated)
        /// A version or encoding this build does not know.
        package static let unsupported = Code(.unsupported)
        /// A value that cannot be represented in its type.
        package static let invalidValue = Code(.invalidValue)
        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String
    /// Byte offset inside the file or buffer where the problem was found, if known.
    package var offset: Int?

    package init(_ code: Code, _ message: String, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.offset = offset
    }

    package var description: String {
        if let offset { return "\(code): \(message) at offset \(offset)" }
        return "\(code): \(message)"
    }

    package static func == (lhs: FormatError, rhs: FormatError) -> Bool { lhs.code == rhs.code }
}
