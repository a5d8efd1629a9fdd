/// One column of a table.
public struct ColumnSchema: Hashable, Sendable, Codable {
    /// Stable id: survives renames, names the column in segment footers.
    public var id: Int
    public var name: String
    public var type: ColumnType
    public var isNullable: Bool
    /// The default as SQL text (`nil` = no default; NULL for nullable columns).
    public var defaultValue: String?
    /// Whether the column is part of the table's sort key (DUPLICATE KEY columns).
    public var isKey: Bool
    public var comment: String

    public init(
        id: Int, name: String, type: ColumnType, isNullable: Bool = true, defaultValue: String? = nil,
        isKey: Bool = false, comment: String = ""
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.isNullable = isNullable
        self.defaultValue = defaultValue
        self.isKey = isKey
        self.comment = comment
    }
}

/// The ordered columns of a table.
public struct TableSchema: Hashable, Sendable, Codable {
    public var columns: [ColumnSchema]

    public init(columns: [ColumnSchema]) {
        self.columns = columns
    }

    /// The index of a column by case-insensitive name.
    public func index(of name: String) -> Int? {
        columns.firstIndex { $0.name.equalsIgnoringCase(name) }
    }

    public subscript(name: String) -> ColumnSchema? {
        index(of: name).map { columns[$0] }
    }
}

extension String {
    /// ASCII case-insensitive equality (SQL identifiers).
    @inlinable
    public func equalsIgnoringCase(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && self.lowercased() == other.lowercased()
    }
}
