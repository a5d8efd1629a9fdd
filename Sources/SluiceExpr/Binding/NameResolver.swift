public import SluiceFormat

/// Resolves column names (case-insensitively) against a list of named, typed columns; accepts
/// the given qualifiers (table name, alias) in `t.column`.
public struct NameResolver: ColumnResolver, Sendable {
    public var names: [String]
    public var types: [ColumnType]
    public var qualifiers: [String]

    public init(names: [String], types: [ColumnType], qualifiers: [String] = []) {
        self.names = names
        self.types = types
        self.qualifiers = qualifiers
    }

    public func resolveColumn(name: String, qualifier: String?) throws(ExprError) -> (index: Int, type: ColumnType) {
        if let qualifier, !qualifiers.contains(where: { $0.lowercased() == qualifier.lowercased() }) {
            throw ExprError(.unknownColumn, "Unknown table '\(qualifier)' in column '\(qualifier).\(name)'")
        }
        guard let index = names.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
            throw ExprError(.unknownColumn, "Unknown column '\(name)'")
        }
        return (index, types[index])
    }
}
