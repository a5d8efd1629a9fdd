/// An expression that does not parse, does not type-check or fails while evaluating.
package struct ExprError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case syntax, unknownColumn, unknownFunction, typeMismatch, evaluation, tooComplex }
        private let base: Base
        private init(_ base: Base) { self.base = base }
        package static let syntax = Code(.syntax)
        package static let unknownColumn = Code(.unknownColumn)
        package static let unknownFunction = Code(.unknownFunction)
        package static let typeMismatch = Code(.typeMismatch)
        package static let evaluation = Code(.evaluation)
        /// The expression exceeds a depth, size or stack limit (``ExprLimits``).
        package static let tooComplex = Code(.tooComplex)
        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String
    /// Character offset in the source text, when known.
    package var position: Int?

    package init(_ code: Code, _ message: String, position: Int? = nil) {
        self.code = code
        self.message = message
        self.position = position
    }

    package var description: String {
        if let position { return "\(message) (at position \(position))" }
        return message
    }
}
