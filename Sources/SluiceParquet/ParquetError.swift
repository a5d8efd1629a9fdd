/// Why a Parquet file cannot be read; `message` names the file's problem and what to do.
package struct ParquetError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        /// Not a Parquet file (no `PAR1` magic) or cut short.
        case notParquet
        /// Metadata or a page that does not decode (a truncated or damaged file).
        case corrupt
        /// A valid file using something this reader does not read (nested columns, an encoding,
        /// a codec).
        case unsupported
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
