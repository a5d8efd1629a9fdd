/// An expression that does not parse, does not type-check or fails while evaluating.
public struct ExprError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case syntax, unknownColumn, unknownFunction, typeMismatch, evaluation, tooComplex }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        public static let syntax = Code(.syntax)
        public static let unknownColumn = Code(.unknownColumn)
        public static let unknownFunction = Code(.unknownFunction)
        public static let typeMismatch = Code(.typeMismatch)
        public static let evaluation = Code(.evaluation)
        /// The expression exceeds a depth, size or stack limit (``ExprLimits``).
        public static let tooComplex = Code(.tooComplex)
        public var description: String { base.rawValue }
    }

    public var code: Code
    public var message: String
    /// Character offset in the source text, when known.
    public var position: Int?

    public init(_ code: Code, _ message: String, position: Int? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    public var description: String {
        if let position { return "\(message) (at position \(position))" }
        return message
    }
}
