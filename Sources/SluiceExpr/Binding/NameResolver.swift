package import SluiceFormat

/// Resolves column names (case-insensitively) against a list of named, typed columns; accepts
/// the given qualifiers (table name, alias) in `t.column`.
package struct NameResolver: ColumnResolver, Sendable {
    package var names: [String]
    package var types: [ColumnType]
    package var qualifiers: [String]

    package init(names: [String], types: [ColumnType], qualifiers: [String] = []) {
        self.names = names
        self.types = types
        self.qualifiers = qualifiers
    }

    package func resolveColumn(name: String, qualifier: String?) throws(ExprError) -> (index: Int, type: ColumnType) {
        if let qualifier, !qualifiers.contains(where: { $0.lowercased() == qualifier.lowercased() }) {
            throw ExprError(.unknownColumn, "Unknown table '\(qualifier)' in column '\(qualifier).\(name)'")
        }
        guard let index = names.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
            throw ExprError(.unknownColumn, "Unknown column '\(name)'")
        }
        return (index, types[index])
    }
}
