/// A statement that cannot run: bad syntax, unknown objects, type errors or engine failures.
///
/// The HTTP layer maps ``Code`` to a status: syntax/analysis/notFound → 4xx, internal → 5xx.
public struct SQLError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case syntax, analysis, notFound, alreadyExists, dataQuality, internalError, timeout, cancelled, memoryLimit
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public static let syntax = Code(.syntax)
        /// Semantic errors: unknown column, type mismatch, misuse of aggregates.
        public static let analysis = Code(.analysis)
        public static let notFound = Code(.notFound)
        public static let alreadyExists = Code(.alreadyExists)
        /// INSERT rows that do not fit the table.
        public static let dataQuality = Code(.dataQuality)
        public static let internalError = Code(.internalError)
        /// The statement ran past `query_timeout`.
        public static let timeout = Code(.timeout)
        /// The client went away or the server is stopping.
        public static let cancelled = Code(.cancelled)
        /// The statement needed more memory than `query_mem_limit`.
        public static let memoryLimit = Code(.memoryLimit)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
