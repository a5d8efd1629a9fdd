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

extension FileSourceError {
    /// StarRocks' ERR_NO_FILES_FOUND text (spec C.1), paths listed as `'p1, p2, p3, ...'`.
    package static func noFilesFound(_ locations: [String]) -> FileSourceError {
        let shown = locations.prefix(3).joined(separator: ", ") + (locations.count > 3 ? ", ..." : "")
        return FileSourceError(
            .noFilesFound,
            "No files were found matching the pattern(s) or path(s): '\(shown)'. You should check whether there are "
                + "files under the path, and make sure the process has the permission to access the path")
    }
}
