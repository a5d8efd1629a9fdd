/// Errors of Routine Load: invalid job definitions (with StarRocks' messages), illegal state changes.
public struct RoutineLoadError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case invalidProperty, invalidState, notFound }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        /// A job or data-source property is missing or invalid (the message is StarRocks').
        public static let invalidProperty = Code(.invalidProperty)
        public static let invalidState = Code(.invalidState)
        public static let notFound = Code(.notFound)
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
