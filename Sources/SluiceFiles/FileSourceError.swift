/// Why a file source cannot be read; `message` is what the statement or job reports.
package struct FileSourceError: Error, Sendable, Equatable, CustomStringConvertible {
    package enum Code: Sendable, Equatable {
        /// A path or pattern that cannot be used as written.
        case invalidPath
        /// Nothing matched (StarRocks' ERR_NO_FILES_FOUND, 5600).
        case noFilesFound
        /// The storage refused or failed a request.
        case io
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
