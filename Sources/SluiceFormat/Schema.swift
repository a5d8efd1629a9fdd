/// One column of a table.
package struct ColumnSchema: Hashable, Sendable, Codable {
    /// Stable id: survives renames, names the column in segment footers.
    package var id: Int
    package var name: String
    package var type: ColumnType
    package var isNullable: Bool
    /// The default as SQL text (`nil` = no default; NULL for nullable columns).
    package var defaultValue: String?
    /// Whether the column is part of the table's sort key (DUPLICATE KEY columns).
    package var isKey: Bool
    package var comment: String
    /// The declared aggregate of a value column of an AGGREGATE KEY table (`pv BIGINT SUM`);
    /// nil elsewhere (PRIMARY and UNIQUE value columns are implicitly REPLACE, and hidden).
    package var aggregate: AggregateType?

    package init(
        id: Int, name: String, type: ColumnType, isNullable: Bool = true, defaultValue: String? = nil,
        isKey: Bool = false, comment: String = "", aggregate: AggregateType? = nil
    ) {
        self.id = id
        self.name = name
        self.type = type
        self.isNullable = isNullable
        self.defaultValue = defaultValue
        self.isKey = isKey
        self.comment = comment
        self.aggregate = aggregate
    }
}

/// How an AGGREGATE KEY table merges a value column's rows of one key (StarRocks' names).
package enum AggregateType: String, Hashable, Sendable, Codable, CaseIterable {
    case sum = "SUM"
    case max = "MAX"
    case min = "MIN"
    case replace = "REPLACE"
    case replaceIfNotNull = "REPLACE_IF_NOT_NULL"
}

/// The ordered columns of a table.
package struct TableSchema: Hashable, Sendable, Codable {
    package var columns: [ColumnSchema]

    package init(columns: [ColumnSchema]) {
        self.columns = columns
    }

    /// The index of a column by case-insensitive name.
    package func index(of name: String) -> Int? {
        columns.firstIndex { $0.name.equalsIgnoringCase(name) }
    }

    package subscript(name: String) -> ColumnSchema? {
        index(of: name).map { columns[$0] }
    }
}

extension String {
    /// ASCII case-insensitive equality (SQL identifiers).
    @inlinable
    package func equalsIgnoringCase(_ other: String) -> Bool {
        self.utf8.count == other.utf8.count && self.lowercased() == other.lowercased()
    }
}
