/// Errors of Routine Load: invalid job definitions and illegal state changes (with StarRocks'
/// messages), unknown jobs, and failures of the message source.
public struct RoutineLoadError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case invalidProperty, invalidState, notFound, alreadyExists, source, storage }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// A job or data-source property is missing or invalid (the message is StarRocks').
        public static let invalidProperty = Code(.invalidProperty)
        /// The statement is not allowed in the job's state.
        public static let invalidState = Code(.invalidState)
        /// No such job, table or partition.
        public static let notFound = Code(.notFound)
        /// A non-final job of that name exists.
        public static let alreadyExists = Code(.alreadyExists)
        /// The message source failed (see ``SourceError``).
        public static let source = Code(.source)
        /// The storage engine refused a job record.
        public static let storage = Code(.storage)
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
