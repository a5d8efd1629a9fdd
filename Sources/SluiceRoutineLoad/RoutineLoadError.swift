/// Errors of Routine Load: invalid job definitions and illegal state changes (with StarRocks'
/// messages), unknown jobs, and failures of the message source.
package struct RoutineLoadError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case invalidProperty, invalidState, notFound, alreadyExists, source, storage }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// A job or data-source property is missing or invalid (the message is StarRocks').
        package static let invalidProperty = Code(.invalidProperty)
        /// The statement is not allowed in the job's state.
        package static let invalidState = Code(.invalidState)
        /// No such job, table or partition.
        package static let notFound = Code(.notFound)
        /// A non-final job of that name exists.
        package static let alreadyExists = Code(.alreadyExists)
        /// The message source failed (see ``SourceError``).
        package static let source = Code(.source)
        /// The storage engine refused a job record.
        package static let storage = Code(.storage)
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
