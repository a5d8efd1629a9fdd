package import SluiceFormat

/// StarRocks' rules for a table's key model (spec table-models §1.2–1.3, §4), checked in the
/// analyzer's order with its messages: key columns lead the schema in order, PRIMARY KEY columns
/// are NOT NULL and of the allowed types, aggregates only where the model takes them, and the
/// distribution and sort key each model requires.
package enum KeysValidation {
    /// Applies the model's implicit changes (PRIMARY KEY columns NOT NULL, a PRIMARY KEY table
    /// without `DISTRIBUTED BY` hashed on its key, AGGREGATE's implicit key) and validates.
    /// - Returns: the columns (with `isKey` set), key columns and sort key to store.
    package static func apply(_ definition: inout TableDefinition) throws(StorageError) -> (
        columns: [ColumnSchema], keys: [String], sortKey: [String]?
    ) {
        var columns = definition.columns
        let model = definition.keysType
        for column in columns
        where column.name.lowercased().hasPrefix("__op") || column.name.lowercased().hasPrefix("__row") {
            throw StorageError(
                .invalidDefinition,
                "Column name '\(column.name)' is reserved: names starting with __op or __row are used by loads")
        }
        var keys = definition.keyColumns
        if keys.isEmpty {
            switch model {
            case .aggregate: keys = columns.prefix { $0.aggregate == nil }.map(\.name)
            case .duplicate: keys = [columns[0].name]
            case .primary, .unique: throw StorageError(.invalidDefinition, "The number of key columns is 0.")
            }
        }
        guard keys.count < columns.count || (model == .duplicate && keys.count == columns.count) else {
            throw StorageError(
                .invalidDefinition, "The number of key columns should be less than the number of columns.")
        }
        for (i, key) in keys.enumerated() {
            guard let index = columns.firstIndex(where: { $0.name.equalsIgnoringCase(key) }) else {
                throw StorageError(.invalidDefinition, "Key column(\(key)) doesn't exist.")
            }
            guard index == i else {
                throw StorageError(
                    .invalidDefinition,
                    "Key columns must be the first few columns of the schema and the order  of the key columns must be consistent with the order of the schema"
                )
            }
            if columns[index].aggregate != nil {
                throw StorageError(
                    .invalidDefinition, "Key column[\(columns[index].name)] should not specify aggregate type.")
            }
            columns[index].isKey = true
        }
        for i in keys.count..<columns.count { try checkValueColumn(&columns[i], model: model) }
        for i in keys.indices {
            if case .array = columns[i].type {
                throw StorageError(
                    .invalidDefinition,
                    "key column[\(columns[i].name)] type not supported: \(columns[i].type.sqlName); ARRAY columns "
                        + "can only be value columns")
            }
        }
        if model == .primary {
            for i in keys.indices {
                let name = columns[i].name
                if definition.declaredNullable.contains(where: { $0.equalsIgnoringCase(name) }) {
                    throw StorageError(.invalidDefinition, "primary key column[\(name)] cannot be nullable")
                }
                columns[i].isNullable = false
                guard primaryKeyTypeAllowed(columns[i].type) else {
                    throw StorageError(
                        .invalidDefinition, "primary key column[\(name)] type not supported: \(columns[i].type.sqlName)"
                    )
                }
            }
        } else if model != .duplicate {
            for i in keys.indices
            where columns[i].type == .float || columns[i].type == .double || columns[i].type == .json {
                throw StorageError(
                    .invalidDefinition, "key column[\(columns[i].name)] type not supported: \(columns[i].type.sqlName)")
            }
        }
        try checkDistribution(&definition, columns: columns, keys: keys)
        if model == .primary, definition.properties["enable_persistent_index"] == nil {
            // StarRocks' current default, echoed by SHOW CREATE TABLE.
            definition.properties["enable_persistent_index"] = "true"
        }
        let sortKey = try checkSortKey(definition.sortKey, model: model, columns: columns, keys: keys)
        return (columns, keys, sortKey)
    }

    /// Key types a PRIMARY KEY may use.
    static func primaryKeyTypeAllowed(_ type: ColumnType) -> Bool {
        switch type {
        case .boolean, .tinyint, .smallint, .int, .bigint, .largeint, .varchar, .string, .date, .datetime: true
        default: false
        }
    }

    private static func checkValueColumn(_ column: inout ColumnSchema, model: KeysType) throws(StorageError) {
        switch model {
        case .duplicate:
            if column.aggregate != nil {
                throw StorageError(
                    .invalidDefinition,
                    "DUP_KEYS table should not specify aggregate type for non-key column[\(column.name)]")
            }
        case .primary, .unique:
            // An explicit REPLACE is what they do anyway; any other aggregate is refused.
            if let aggregate = column.aggregate, aggregate != .replace {
                throw StorageError(
                    .invalidDefinition,
                    "\(model.internalName) table should not specify aggregate type for non-key column[\(column.name)]")
            }
            column.aggregate = nil
        case .aggregate:
            guard let aggregate = column.aggregate else {
                throw StorageError(
                    .invalidDefinition,
                    "AGG_KEYS table should specify aggregate type for non-key column[\(column.name)]")
            }
            switch (aggregate, column.type) {
            case (.sum, .tinyint), (.sum, .smallint), (.sum, .int), (.sum, .bigint), (.sum, .largeint), (.sum, .float),
                (.sum, .double), (.sum, .decimal):
                break
            case (.sum, _):
                throw StorageError(
                    .invalidDefinition,
                    "Invalid aggregate function 'SUM' for column[\(column.name)] of type \(column.type.sqlName): SUM takes numeric columns"
                )
            case (.max, .json), (.min, .json), (.max, .array), (.min, .array):
                throw StorageError(
                    .invalidDefinition,
                    "Invalid aggregate function '\(aggregate.rawValue)' for column[\(column.name)] of type "
                        + column.type.sqlName)
            case (.replaceIfNotNull, _):
                // A NULL input keeps the stored value, so the column holds NULLs only before any.
                column.isNullable = true
            default:
                break
            }
        }
    }

    private static func checkDistribution(_ definition: inout TableDefinition, columns: [ColumnSchema], keys: [String])
        throws(StorageError)
    {
        let model = definition.keysType
        switch model {
        case .duplicate:
            return
        case .primary:
            if !definition.distributionGiven {
                definition.distribution = Distribution(columns: keys, buckets: definition.distribution.buckets)
            } else if definition.distribution.columns.isEmpty {
                throw StorageError(.invalidDefinition, "PRIMARY KEY must use hash distribution")
            }
        case .unique, .aggregate:
            guard definition.distributionGiven else {
                throw StorageError(
                    .invalidDefinition, "Currently not support default distribution in \(model.internalName)")
            }
            if definition.distribution.columns.isEmpty {
                if model == .unique { throw StorageError(.invalidDefinition, "UNIQUE KEY must use hash distribution") }
                if columns.contains(where: { $0.aggregate == .replace || $0.aggregate == .replaceIfNotNull }) {
                    throw StorageError(.invalidDefinition, "AGGREGATE KEY with replace  must use hash distribution")
                }
            }
        }
        // Rows of one key must meet in one tablet: bucket and partition columns are key columns.
        for column in definition.distribution.columns where !keys.contains(where: { $0.equalsIgnoringCase(column) }) {
            throw StorageError(.invalidDefinition, "Distribution column[\(column)] is not key column")
        }
        if let column = definition.partitioning.column, !keys.contains(where: { $0.equalsIgnoringCase(column) }) {
            throw StorageError(.invalidDefinition, "Partition column[\(column)] is not key column")
        }
    }

    private static func checkSortKey(_ sortKey: [String]?, model: KeysType, columns: [ColumnSchema], keys: [String])
        throws(StorageError) -> [String]?
    {
        guard let sortKey else { return nil }
        switch model {
        case .duplicate:
            return nil  // the parser made ORDER BY the key clause
        case .primary:
            for name in sortKey {
                guard let column = columns.first(where: { $0.name.equalsIgnoringCase(name) }) else {
                    throw StorageError(.invalidDefinition, "Unknown column '\(name)' does not exist")
                }
                guard primaryKeyTypeAllowed(column.type) else {
                    throw StorageError(
                        .invalidDefinition, "sort key column[\(name)] type not supported: \(column.type.sqlName)")
                }
            }
            return sortKey
        case .unique, .aggregate:
            guard Set(sortKey.map { $0.lowercased() }) == Set(keys.map { $0.lowercased() }), sortKey.count == keys.count
            else {
                throw StorageError(
                    .invalidDefinition, "The sort columns of \(model.sqlName) table must be same with key columns")
            }
            return nil
        }
    }
}
