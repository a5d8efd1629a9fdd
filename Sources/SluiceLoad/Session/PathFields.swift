import SluiceFormat

/// The source fields of a load split into those the data carries and those whose value comes
/// from the body's file path (`COLUMNS FROM PATH AS (...)`, one constant per file), and the
/// current body's constants. Parsers fill the data's fields; ``expand(_:_:rows:)`` puts the
/// constants in their places.
struct PathFields: Sendable {
    /// Source fields the data carries, in order.
    let fileFields: [Int]
    /// Source fields from the path: their index among the source fields and their position in
    /// `columnsFromPath`, by index.
    private let pathFields: [(field: Int, name: Int)]
    /// The current body's values, by `pathFields` entry.
    private var constants: [Constant] = []

    /// A path value in its field's arrival type, or the text that did not convert.
    private struct Constant: Sendable {
        var value: Value
        var type: ColumnType
        var failedText: String?
    }

    /// - Throws: ``LoadError`` `.analysis` when a path column is not a source field.
    init(sourceNames: [String], columnsFromPath: [String]) throws(LoadError) {
        var path = [(field: Int, name: Int)]()
        for (k, name) in columnsFromPath.enumerated() {
            guard let field = sourceNames.firstIndex(where: { $0.lowercased() == name.lowercased() }) else {
                throw LoadError(.analysis, "Column '\(name)' of COLUMNS FROM PATH is not a source column")
            }
            path.append((field, k))
        }
        pathFields = path.sorted { $0.field < $1.field }
        let fromPath = Set(path.map(\.field))
        fileFields = sourceNames.indices.filter { !fromPath.contains($0) }
    }

    /// Sets the next body's values (`columnsFromPath` order, nil for NULL), each converted once to
    /// `types`[field] (text where nil).
    /// - Throws: ``LoadError`` `.invalidArgument` for a count that does not match.
    mutating func set(_ values: [String?], types: [ColumnType?]) throws(LoadError) {
        guard values.count == pathFields.count else {
            throw LoadError(
                .invalidArgument, "\(values.count) path values for \(pathFields.count) COLUMNS FROM PATH columns")
        }
        constants = pathFields.map { field, name in
            let type = types[field] ?? .string
            guard let text = values[name] else { return Constant(value: .null, type: type, failedText: nil) }
            guard types[field] != nil else { return Constant(value: .bytes(Array(text.utf8)), type: type) }
            var one = ColumnVector(type: type, capacity: 1)
            let converted = Array(text.utf8).withUnsafeBytes { FieldParser.append($0, to: &one) }
            return converted
                ? Constant(value: one.value(at: 0), type: type)
                : Constant(value: .null, type: type, failedText: text)
        }
    }

    /// The data's columns (``fileFields`` order) with the path's constants in their places: every
    /// source field, in order. A path value that did not convert fails on every row.
    func expand(_ columns: [ColumnVector], _ failures: [ParseFailures], rows: Int) -> (
        [ColumnVector], [ParseFailures]
    ) {
        guard !pathFields.isEmpty else { return (columns, failures) }
        var allColumns = [ColumnVector]()
        var allFailures = [ParseFailures]()
        var file = 0
        var path = 0
        for field in 0..<(fileFields.count + pathFields.count) {
            if path < pathFields.count, pathFields[path].field == field {
                let constant = constants[path]
                allColumns.append(ColumnVector(type: constant.type, repeating: constant.value, count: rows))
                allFailures.append(constant.failedText.map { text in (0..<rows).map { ($0, text) } } ?? [])
                path += 1
            } else {
                allColumns.append(columns[file])
                allFailures.append(failures[file])
                file += 1
            }
        }
        return (allColumns, allFailures)
    }
}
