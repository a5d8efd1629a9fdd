/// A statement that cannot run: bad syntax, unknown objects, type errors or engine failures.
///
/// The HTTP layer maps ``Code`` to a status: syntax/analysis/notFound → 4xx, internal → 5xx.
package struct SQLError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case syntax, analysis, notFound, alreadyExists, dataQuality, internalError, timeout, cancelled, memoryLimit
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        package static let syntax = Code(.syntax)
        /// Semantic errors: unknown column, type mismatch, misuse of aggregates.
        package static let analysis = Code(.analysis)
        package static let notFound = Code(.notFound)
        package static let alreadyExists = Code(.alreadyExists)
        /// INSERT rows that do not fit the table.
        package static let dataQuality = Code(.dataQuality)
        package static let internalError = Code(.internalError)
        /// The statement ran past `query_timeout`.
        package static let timeout = Code(.timeout)
        /// The client went away or the server is stopping.
        package static let cancelled = Code(.cancelled)
        /// The statement needed more memory than `query_mem_limit`.
        package static let memoryLimit = Code(.memoryLimit)
        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
